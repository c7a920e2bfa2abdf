"""Event-day operations: unpaid orders and reminders, service chats, warehouse, stock.

`simulate_operations` runs them for one replication (compiled event loops, see
`sim.operations.kernels`; `simulate_operations_reference` runs the same rules with one SimPy
process per order and chat); `plan_agents`, `plan_staff` and
`plan_stock` size capacity; `erlang` holds the queueing formulas (its chart is drawn by
`sim.report.study_charts`).
"""

from sim.operations.capacity import StaffPlan, plan_agents, plan_staff, plan_stock
from sim.config.operations import Operations
from sim.vocabulary import ROLES
from sim.operations.orders import Orders
from sim.operations.result import OperationsResult
from sim.operations.simulate import inquiries_from_orders, simulate_operations, simulate_operations_reference

__all__ = [
    "ROLES", "Operations", "OperationsResult", "Orders", "StaffPlan", "inquiries_from_orders",
    "plan_agents", "plan_staff", "plan_stock", "simulate_operations", "simulate_operations_reference",
]
