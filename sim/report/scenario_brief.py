"""The scenario in words: policies, their waves and programmes, from the run's scenario.yaml."""

from __future__ import annotations

from sim.report.html import Section, table, text


def day_label(day: int) -> str:
    """D-10, D0 (11.11), D+15."""
    return "D0" if day == 0 else f"D{day:+d}"


def _money(value) -> str:
    value = float(value)
    return f"¥{value:,.0f}" if value == int(value) else f"¥{value:,.2f}"


def coupon_text(c: dict | None) -> str:
    """'coupon ¥299−30, valid D0..D+1, budget ¥200,000'; a tiered one 'coupon ¥199−20 / ¥299−40 / ...'."""
    if not c:
        return ""
    tiers = c.get("tiers") or [(c.get("threshold", 0), c.get("discount", 0))]
    parts = ["coupon " + " / ".join(f"{_money(threshold)}−{float(discount):g}" for threshold, discount in tiers)]
    if c.get("valid_days"):
        first, last = c["valid_days"]
        parts.append(f"valid {day_label(first)}..{day_label(last)}")
    elif c.get("valid_for_days"):
        parts.append(f"valid {c['valid_for_days']} days")
    if c.get("budget") is not None:
        parts.append(f"budget {_money(c['budget'])}")
    return ", ".join(parts)


def audience_text(a: dict | None) -> str:
    """The audience filters that narrow it; 'everyone reachable' when none."""
    a = a or {}
    parts = []
    if a.get("segments"):
        parts.append("segments " + ", ".join(a["segments"]))
    if a.get("categories"):
        parts.append("categories " + ", ".join(a["categories"]))
    if a.get("customers", "all") != "all":
        parts.append(f"{a['customers']} customers")
    lo, hi = a.get("min_days_since_purchase"), a.get("max_days_since_purchase")
    if lo is not None or hi is not None:
        parts.append(f"last purchase {lo or 0:g}..{'' if hi is None else f'{hi:g}'} days ago")
    return "; ".join(parts) or "everyone reachable"


def wave_text(w: dict) -> str:
    when = f"{day_label(int(w.get('day', 0)))} {int(w.get('hour', 10)):02d}:00"
    parts = [f"{when} {w.get('name') or 'wave'} by {w.get('channel', 'sms')}", audience_text(w.get("audience"))]
    if w.get("coupon"):
        parts.append(coupon_text(w["coupon"]))
    return " · ".join(parts)


def programme_text(p: dict) -> str:
    trigger = p.get("trigger", "")
    if trigger == "inactive":
        what = f"no purchase for {float(p.get('inactive_days', 60)):g} days"
    else:
        what = "first order" if trigger == "first_purchase" else "new buyer"
        if p.get("trigger_days"):
            first, last = p["trigger_days"]
            what += f" on {day_label(first)}" + ("" if first == last else f"..{day_label(last)}")
        if p.get("min_spend"):
            what += f", paying at least {_money(p['min_spend'])}"
    cycles = int(p.get("cycles", 1))
    cadence = f"first send {p.get('after_days', 0)} days later"
    if cycles > 1:
        cadence += f", then every {p.get('every_days', 30)} days, {cycles} sends"
    if p.get("stop_on_purchase", True):
        cadence += ", stops once the customer buys"
    parts = [f"{p.get('name', 'programme')}: when {what}; {cadence}; by {p.get('channel', 'sms')}",
             audience_text(p.get("audience"))]
    if p.get("coupon"):
        parts.append(coupon_text(p["coupon"]))
    return " · ".join(parts)


def referral_text(r: dict) -> str:
    """'D-7 10:00 referral by sms · everyone reachable · 6% share, 3 friends each; reward ¥10 inviter /
    ¥15 invitee, paid on the first order, budget ¥30,000'."""
    when = f"{day_label(int(r.get('day', 0)))} {int(r.get('hour', 10)):02d}:00"
    reward = r.get("reward") or {}
    offer = (f"{float(r.get('share_rate', 0)):.0%} share, {float(r.get('invitees_per_share', 0)):g} friends each; "
             f"reward {_money(reward.get('inviter', 0))} inviter / {_money(reward.get('invitee', 0))} invitee, "
             f"paid on {'the share' if r.get('pay_on') == 'share' else 'the first order'}")
    if r.get("red_packet"):
        packet = r["red_packet"]
        offer += f"; red packet {_money(packet.get('per_friend', 0))} a friend, up to {_money(packet.get('cap', 0))}"
    if r.get("budget") is not None:
        offer += f", budget {_money(r['budget'])}"
    parts = [f"{when} {r.get('name') or 'referral'} by {r.get('channel') or 'sms'}", audience_text(r.get("audience")),
             offer]
    return " · ".join(parts)


def acquisition_text(channels: dict) -> str:
    """'ads: search ¥4,000 a day' (a policy's changes to the ad channels)."""
    parts = []
    for name, change in channels.items():
        change = change or {}
        said = [f"{_money(change['daily_spend'])} a day" if change.get("daily_spend") is not None else ""]
        said += [f"{k.replace('_', ' ')} {v}" for k, v in change.items() if k != "daily_spend" and v is not None]
        parts.append(f"{name} " + ", ".join(x for x in said if x) if any(said) else name)
    return "ads: " + "; ".join(parts)


def policy_rows(policies: dict, control: str) -> list[list[str]]:
    rows = []
    for name, spec in policies.items():
        spec = spec or {}
        actions = [wave_text(w) for w in spec.get("waves") or []]
        actions += [programme_text(p) for p in spec.get("programmes") or []]
        if spec.get("referral"):
            actions.append(referral_text(spec["referral"]))
        if spec.get("acquisition"):
            actions.append(acquisition_text(spec["acquisition"]))
        for b in spec.get("bundles") or []:
            actions.append(f"bundle: {float(b.get('take_rate', 0)):.0%} of orders add "
                           f"{float(b.get('value_uplift', 0)):.0%} of their value"
                           + (f" at {float(b['margin']):.0%} margin" if b.get("margin") is not None else ""))
        if spec.get("payment_reminders") is not None:
            actions.append("payment reminders " + ("on" if spec["payment_reminders"] else "off"))
        if spec.get("discount_profit_items"):
            actions.append("event discount extended to profit items")
        role = " (control)" if name == control else ""
        holdout = f"{float(spec.get('holdout', 0)):.0%}" if spec.get("holdout") else "none"
        rows.append([f"{name}{role}", holdout, "\n".join(actions) or "no marketing"])
    return rows


def scenario_section(scenario: dict, manifest: dict, control: str, policies: list[str]) -> Section:
    """Name, question, population, calendar, replications and each policy's actions."""
    cal = scenario.get("calendar") or {}
    pop = scenario.get("population") or {}
    run = scenario.get("run") or {}
    facts = [
        ("Scenario", scenario.get("name", "")),
        ("Question", scenario.get("question") or "–"),
        ("Customers at the start", f"{int(pop['size']):,}" if "size" in pop else (pop.get("from") or "–")),
        ("Calendar", f"{day_label(int(cal.get('start_day', -30)))} .. {day_label(int(cal.get('end_day', 30)))} "
                     "(day 0 = the event day, 11.11)"),
        ("Replications", f"{manifest.get('replications', run.get('replications', '–'))} per policy, "
                         f"seed {manifest.get('seed', run.get('seed', '–'))} "
                         "(every policy meets the same simulated customers in a replication)"),
    ]
    if manifest.get("created"):
        facts.append(("Run", f"{manifest['created']}, version {manifest.get('version', '?')}, "
                             f"{manifest.get('wall_seconds', 0):.1f} s on {manifest.get('workers', 1)} worker(s)"))
    dl = "".join(f"<dt>{text(k)}</dt><dd>{text(v)}</dd>" for k, v in facts)
    declared = scenario.get("policies") or {}
    specs = {p: declared.get(p) or {} for p in policies}
    rows = [[r[0], r[1], r[2]] for r in policy_rows(specs, control)]
    body = (f'<dl class="facts">{dl}</dl><h3>Policies</h3>'
            + table(["policy", "holdout", "actions"], rows).replace("\n", "<br>"))
    return Section("scenario", "Scenario", body)
