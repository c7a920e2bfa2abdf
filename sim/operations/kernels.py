"""Compiled event loops for the chat desk and for stock and payment (numba).

They run the same rules as the SimPy processes in `sim.operations.service`,
`sim.operations.payment` and `sim.operations.stock`, one loop over all chats or orders instead
of one Python process each, so a day of hundreds of thousands of orders takes a fraction of a
second. Times are hours. Events at or after `until` are not processed (like SimPy's
`run(until=...)`). Events at the same instant run in a fixed order: on the chat desk a
staffing change, then an arrival, then the end of a chat; in payment the placing of an order,
then reminders, payments and closings in the order they were scheduled.

Importing this module imports numba; the rest of the package imports it only when it runs.
Compiled code is cached on disk, so only the first run on a machine pays for compilation.
"""

from __future__ import annotations

import numba
import numpy as np

# Payment log kinds (see sim.operations.payment.KINDS).
K_REMIND, K_PAY, K_CLOSE = 0, 1, 2
# Order status codes, as in sim.operations.orders.
UNPAID, PAID, CLOSED, NO_STOCK = 0, 1, 3, 4
# Payment event kinds on the heap.
_E_PAY, _E_REMIND, _E_CLOSE = 0, 1, 2


@numba.njit(cache=True)
def _heap(cap):
    """An empty event heap of `cap` entries: hour, sequence number, kind and index columns."""
    return np.empty(cap), np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int8), np.empty(cap, dtype=np.int64)


@numba.njit(cache=True)
def _push(ht, hs, hk, hi, size, t, seq, kind, idx):
    """Add (t, seq) -> (kind, idx) to the binary min-heap of `size` entries; returns the new size."""
    pos = size
    while pos > 0:
        parent = (pos - 1) // 2
        if ht[parent] < t or (ht[parent] == t and hs[parent] < seq):
            break
        ht[pos], hs[pos], hk[pos], hi[pos] = ht[parent], hs[parent], hk[parent], hi[parent]
        pos = parent
    ht[pos], hs[pos], hk[pos], hi[pos] = t, seq, kind, idx
    return size + 1


@numba.njit(cache=True)
def _pop(ht, hs, hk, hi, size):
    """Remove the earliest entry (the root); returns the new size."""
    size -= 1
    t, s, k, x = ht[size], hs[size], hk[size], hi[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and (ht[child + 1] < ht[child]
                                 or (ht[child + 1] == ht[child] and hs[child + 1] < hs[child])):
            child += 1
        if t < ht[child] or (t == ht[child] and s < hs[child]):
            break
        ht[pos], hs[pos], hk[pos], hi[pos] = ht[child], hs[child], hk[child], hi[child]
        pos = child
    if size > 0:
        ht[pos], hs[pos], hk[pos], hi[pos] = t, s, k, x
    return size


@numba.njit(cache=True)
def _set_load(tree, width, a, load):
    """Agent a now holds `load` chats: update the min-tree of keys load * width + agent."""
    pos = width + a
    tree[pos] = load * width + a
    pos //= 2
    while pos >= 1:
        tree[pos] = min(tree[2 * pos], tree[2 * pos + 1])
        pos //= 2


@numba.njit(cache=True)
def _least_loaded(tree, width, on_duty):
    """Smallest key among agents 0..on_duty-1: the least-loaded agent, the lowest index on ties."""
    best = tree[width]
    lo, hi = width, width + on_duty
    while lo < hi:
        if lo & 1:
            best = min(best, tree[lo])
            lo += 1
        if hi & 1:
            hi -= 1
            best = min(best, tree[hi])
        lo //= 2
        hi //= 2
    return best


@numba.njit(cache=True)
def chat_desk(arrival, handle, patience, agents_by_hour, first_hour, start, limit, until):
    """One FIFO queue of chats for agents holding up to `limit` chats each (see ChatDesk).

    `arrival` sorted (hours); `handle` and `patience` hours per chat (patience inf = never
    leaves); `agents_by_hour[k]` agents on duty from hour first_hour + k (the last count holds
    on). A waiting chat whose patience ran out is dropped when the queue is next served: leaving
    changes nothing else, so this gives the same answers as leaving at that moment. Returns
    answered, ended, abandoned (NaN when it did not happen before `until`), agent (-1), and for
    each answered chat the agent's chats and all chats held right after it was answered.
    """
    n = len(arrival)
    answered = np.full(n, np.nan)
    ended = np.full(n, np.nan)
    abandoned = np.full(n, np.nan)
    agent = np.full(n, -1, dtype=np.int64)
    held_by_agent = np.zeros(n, dtype=np.int64)
    held_total = np.zeros(n, dtype=np.int64)
    max_agents = max(1, agents_by_hour.max()) if len(agents_by_hour) else 1
    load = np.zeros(max_agents, dtype=np.int64)
    width = 1
    while width < max_agents:
        width *= 2
    tree = np.full(2 * width, (limit + 1) * width * 2, dtype=np.int64)
    for a in range(max_agents):
        _set_load(tree, width, a, 0)
    cap = min(n, max_agents * limit) + 1
    ht, hs, hk, hi = _heap(cap)
    size = 0
    seq = 0
    busy = 0
    on_duty = agents_by_hour[0] if len(agents_by_hour) else 0
    next_shift = 1
    head = 0      # first chat that may still wait
    arrived = 0   # chats arrived so far
    now = start
    while True:
        t_shift = first_hour + next_shift if next_shift < len(agents_by_hour) else np.inf
        t_arr = arrival[arrived] if arrived < n else np.inf
        t_end = ht[0] if size > 0 else np.inf
        now = min(t_shift, t_arr, t_end)
        if not now < until:
            break
        if t_shift == now:
            on_duty = agents_by_hour[next_shift]
            next_shift += 1
        elif t_arr == now:
            arrived += 1
        else:
            k = hi[0]
            size = _pop(ht, hs, hk, hi, size)
            ended[k] = now
            load[agent[k]] -= 1
            _set_load(tree, width, agent[k], load[agent[k]])
            busy -= 1
        # serve the queue: the longest-waiting chat still there goes to the least-loaded agent
        while head < arrived and on_duty > 0:
            k = head
            if arrival[k] + patience[k] <= now:
                head += 1  # left before a place came free
                continue
            a = _least_loaded(tree, width, on_duty) % width
            if load[a] >= limit:
                break
            load[a] += 1
            _set_load(tree, width, a, load[a])
            busy += 1
            agent[k], answered[k] = a, now
            held_by_agent[k], held_total[k] = load[a], busy
            seq += 1
            size = _push(ht, hs, hk, hi, size, now + handle[k], seq, 0, k)
            head += 1
    for k in range(n):
        if np.isnan(answered[k]) and arrival[k] < until:
            leave = arrival[k] + patience[k]
            if leave < until:
                abandoned[k] = leave
    return answered, ended, abandoned, agent, held_by_agent, held_total


@numba.njit(cache=True)
def payments(sequence, time, buyer, role, buyer_start, buyer_rows, u_unpaid, u_recover, u_response,
             self_pay_after, close_hours, unpaid_share, remind, delay, recovery, response_mean,
             units, limited, until):
    """Stock, payment, reminders and closing for orders placed in `sequence` order (see PaymentDesk).

    `buyer` dense buyer index per row; the rows of buyer b are buyer_rows[buyer_start[b]:
    buyer_start[b + 1]], ascending. `units` per role (used where `limited`). Returns status,
    paid_time, end_time, reminded, self_pay_time, the log (time, kind, row) and its length, the
    rows in the order they were paid and their number, lowest stock and stock-out time by role.
    """
    n = len(time)
    status = np.full(n, 5, dtype=np.int8)  # NOT_PLACED
    paid_time = np.full(n, np.nan)
    end_time = np.full(n, np.nan)
    reminded = np.zeros(n, dtype=np.bool_)
    self_pay_time = np.full(n, np.inf)
    buyer_reminded = np.zeros(len(buyer_start) - 1, dtype=np.bool_)
    log_t = np.empty(3 * n + 1)
    log_k = np.empty(3 * n + 1, dtype=np.int8)
    log_i = np.empty(3 * n + 1, dtype=np.int64)
    n_log = 0
    paid_order = np.empty(n, dtype=np.int64)
    n_paid = 0
    level = units.copy()
    lowest = units.copy()
    stockout = np.full(len(units), np.nan)
    cap = 4 * n + 1
    ht, hs, hk, hi = _heap(cap)
    size = 0
    seq = 0
    placed = 0
    while True:
        t_place = time[sequence[placed]] if placed < len(sequence) else np.inf
        t_event = ht[0] if size > 0 else np.inf
        if t_place <= t_event:
            now = t_place
        else:
            now = t_event
        if not now < until:
            break
        if t_place <= t_event:
            i = sequence[placed]
            placed += 1
            r = role[i]
            if limited[r]:
                if level[r] < 1:
                    if np.isnan(stockout[r]):
                        stockout[r] = now
                    status[i] = NO_STOCK
                    continue
                level[r] -= 1
                lowest[r] = min(lowest[r], level[r])
            if u_unpaid[i] >= unpaid_share:
                status[i], paid_time[i] = PAID, now
                log_t[n_log], log_k[n_log], log_i[n_log] = now, K_PAY, i
                n_log += 1
                paid_order[n_paid] = i
                n_paid += 1
                continue
            status[i] = UNPAID
            close_in = close_hours[r]
            if self_pay_after[i] < close_in:
                self_pay_time[i] = time[i] + self_pay_after[i]
                seq += 1
                size = _push(ht, hs, hk, hi, size, now + self_pay_after[i], seq, _E_PAY, i)
            if remind and delay < close_in:
                seq += 1
                size = _push(ht, hs, hk, hi, size, now + delay, seq, _E_REMIND, i)
            seq += 1
            size = _push(ht, hs, hk, hi, size, now + close_in, seq, _E_CLOSE, i)
            continue
        kind, i = hk[0], hi[0]
        size = _pop(ht, hs, hk, hi, size)
        if status[i] != UNPAID:
            continue
        if kind == _E_PAY:
            status[i], paid_time[i] = PAID, now
            log_t[n_log], log_k[n_log], log_i[n_log] = now, K_PAY, i
            n_log += 1
            paid_order[n_paid] = i
            n_paid += 1
        elif kind == _E_CLOSE:
            status[i], end_time[i] = CLOSED, now
            log_t[n_log], log_k[n_log], log_i[n_log] = now, K_CLOSE, i
            n_log += 1
            if limited[role[i]]:
                level[role[i]] += 1
        else:
            b = buyer[i]
            if buyer_reminded[b]:
                continue
            buyer_reminded[b] = True
            responds = u_recover[i] < recovery
            for p in range(buyer_start[b], buyer_start[b + 1]):
                j = buyer_rows[p]
                if status[j] != UNPAID:
                    continue
                log_t[n_log], log_k[n_log], log_i[n_log] = now, K_REMIND, j
                n_log += 1
                reminded[j] = True
                if responds or np.isfinite(self_pay_time[j]):
                    left = time[j] + close_hours[role[j]] - now
                    wait = -response_mean * np.log1p(-u_response[j] * (1.0 - np.exp(-left / response_mean)))
                    seq += 1
                    size = _push(ht, hs, hk, hi, size, now + wait, seq, _E_PAY, j)
    return (status, paid_time, end_time, reminded, self_pay_time, log_t, log_k, log_i, n_log,
            paid_order, n_paid, lowest, stockout)
