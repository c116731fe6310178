"""The reference Lambda's aggregation, for the `python_parity` test to compare with.

Reads batches from stdin, one a line: the record values, each `x` and its bytes in hex,
separated by spaces.
Writes for each batch its items (`I device_id window_start window_stop avg_temp count`, by
device id), the records rejected alone (`R index`) and with their device (`D index`), and `E`.

Per batch, as the reference does: `json.loads(value)`, readings grouped by `device_id`,
`avg_temp = round(sum(temps) / len(temps))`, `window_start`/`window_stop` = min/max timestamp
string, and the item's numbers serialised as boto3 does (a 38-digit decimal context that raises
rather than round). Where the reference would raise, this reports rejections instead: for a
record (json.loads or the README's rules for a reading) that record, for a device (round,
division or serialising avg_temp) every record of that device. The README's stated rules for a
reading, where the module is stricter than the reference, are in `reading()`.
"""

import decimal
import json
import math
import sys

# boto3.dynamodb.types.DYNAMODB_CONTEXT
DYNAMODB_CONTEXT = decimal.Context(
    Emin=-128,
    Emax=126,
    prec=38,
    traps=[
        decimal.Clamped,
        decimal.Overflow,
        decimal.Inexact,
        decimal.Rounded,
        decimal.Underflow,
    ],
)

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)


def sum_3_12(values):
    """CPython 3.12's builtin sum(values), transcribed from builtin_sum_impl (bltinmodule.c)
    for interpreters older than 3.12, whose float sum is not compensated."""
    it = iter(values)
    i_result = 0
    result = None
    for item in it:
        if type(item) is int and LONG_MIN <= item <= LONG_MAX:
            if LONG_MIN <= i_result + item <= LONG_MAX:
                i_result += item
                continue
        result = i_result + item
        break
    else:
        return i_result
    if type(result) is float:
        f_result = result
        c = 0.0
        for item in it:
            if type(item) is float:
                x = item
                t = f_result + x
                if abs(f_result) >= abs(x):
                    c += (f_result - t) + x
                else:
                    c += (x - t) + f_result
                f_result = t
                continue
            if type(item) is int and LONG_MIN <= item <= LONG_MAX:
                f_result += float(item)
                continue
            if c and math.isfinite(c):
                f_result += c
            result = f_result + item
            break
        else:
            if c and math.isfinite(c):
                f_result += c
            return f_result
    for item in it:
        result = result + item
    return result


def outcome(f, *args):
    try:
        return repr(f(*args))
    except (OverflowError, ValueError) as e:
        return type(e).__name__


def py_sum(values):
    if sys.version_info >= (3, 12):
        # The transcription must be the interpreter's own sum wherever there is one to check.
        if outcome(sum, values) != outcome(sum_3_12, values):
            sys.exit(f"sum_3_12 differs from this Python's sum() on {values!r}")
        return sum(values)
    return sum_3_12(values)


class NotAReading(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise NotAReading("duplicate key")
    return dict(pairs)


def not_json(constant):
    raise NotAReading(f"{constant} is not JSON")


def reading(value):
    """json.loads(value), with the README's rules for a reading."""
    data = json.loads(value, object_pairs_hook=no_duplicates, parse_constant=not_json)
    if not isinstance(data, dict):
        raise NotAReading("not an object")
    device_id, timestamp, temperature = data["device_id"], data["timestamp"], data["temperature"]
    if type(device_id) is not int:
        raise NotAReading("device_id is not an int")
    # No item could hold it: boto3 would raise on every write of it.
    DYNAMODB_CONTEXT.create_decimal(device_id)
    if not isinstance(timestamp, str):
        raise NotAReading("timestamp is not a string")
    if type(temperature) not in (int, float):
        raise NotAReading("temperature is not a number")
    return data


# The module's one documented limit: integers are summed exactly within 192 bits, each
# temperature within ±2^127; a device with a bigger one is rejected.
def beyond_module_limit(temps):
    return any(type(t) is int and not -(2**127) <= t < 2**127 for t in temps)


def aggregate(values):
    readings = {}
    rejected = []
    for i, value in enumerate(values):
        try:
            data = reading(value)
        except (ValueError, KeyError, NotAReading, decimal.DecimalException):
            rejected.append(i)
            continue
        readings.setdefault(data["device_id"], []).append((i, data))
    items = []
    device_rejected = []
    for device_id, rs in readings.items():
        temps = [r["temperature"] for _, r in rs]
        try:
            if beyond_module_limit(temps):
                raise OverflowError("beyond the module's exact sum")
            avg_temp = round(py_sum(temps) / len(temps))
            window_start = min(r["timestamp"] for _, r in rs)
            window_stop = max(r["timestamp"] for _, r in rs)
            DYNAMODB_CONTEXT.create_decimal(avg_temp)
        except (OverflowError, ValueError, decimal.DecimalException):
            device_rejected.extend(i for i, _ in rs)
            continue
        items.append((device_id, window_start, window_stop, avg_temp, len(rs)))
    lines = [f"I {d} {s} {e} {a} {n}" for d, s, e, a, n in sorted(items)]
    lines += [f"R {i}" for i in rejected]
    lines += [f"D {i}" for i in sorted(device_rejected)]
    return lines + ["E"]


def main():
    out = []
    for line in sys.stdin:
        values = [bytes.fromhex(v[1:]) for v in line.split()]
        out.extend(aggregate(values))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
