"""Learning customers' response from a past campaign test, and targeting the customers who gain.

`fit_response` learns, for each arm of a randomised test against its control and each
outcome, every customer's baseline and uplift from their features (scikit-learn
meta-learners, chosen on a validation split, bootstrap refits for uncertainty);
`predict_uplift` scores a customer table; `target` picks each customer's best arm by
expected incremental profit under a budget. The simulator reads a fitted model to drive a
wave's response and to choose its audience.
"""
