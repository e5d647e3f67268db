package insforgetest

import (
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Raw SQL results go through node-pg on the real backend, which decides the
// JSON form of a value from its type OID:
//
//   - int2, int4, oid, float4, float8: JSON numbers;
//   - int8 (count(*), sum(int), bigint columns) and numeric: strings
//     ("42", "1.50"), because they may not fit a JavaScript number;
//   - date, timestamp, timestamptz: JavaScript Dates, serialised as
//     "2026-01-02T03:04:05.000Z" (the backend runs in UTC, so a date is
//     its UTC midnight);
//   - json, jsonb: parsed; arrays of known element types: JSON arrays;
//     interval: an object of its non-zero parts ({"days":1});
//   - void: "" ; every other type: the Postgres text form.
//
// The interpreter evaluates on the stored values (numbers, strings) and
// converts them with toWire when it builds a result.

// pgInterval is an interval value: months, days and microseconds.
type pgInterval struct {
	months, days int
	us           int64
}

// MarshalJSON renders the interval like node-pg's postgres-interval.
func (iv pgInterval) MarshalJSON() ([]byte, error) {
	return marshalJSON(iv.object()), nil
}

func (iv pgInterval) object() orderedRow {
	var o orderedRow
	add := func(k string, v int64) {
		if v != 0 {
			o.keys = append(o.keys, k)
			o.vals = append(o.vals, float64(v))
		}
	}
	add("years", int64(iv.months/12))
	add("months", int64(iv.months%12))
	add("days", int64(iv.days))
	us := iv.us
	add("hours", us/3_600_000_000)
	us %= 3_600_000_000
	add("minutes", us/60_000_000)
	us %= 60_000_000
	add("seconds", us/1_000_000)
	us %= 1_000_000
	if us != 0 {
		o.keys = append(o.keys, "milliseconds")
		o.vals = append(o.vals, float64(us)/1000)
	}
	if o.keys == nil {
		o.keys, o.vals = []string{}, []any{}
	}
	return o
}

// String is the Postgres text form (IntervalStyle postgres).
func (iv pgInterval) String() string {
	var parts []string
	plural := func(n int, unit string) string {
		s := strconv.Itoa(n) + " " + unit
		if n != 1 && n != -1 {
			s += "s"
		}
		return s
	}
	if y := iv.months / 12; y != 0 {
		parts = append(parts, plural(y, "year"))
	}
	if m := iv.months % 12; m != 0 {
		parts = append(parts, plural(m, "mon"))
	}
	if iv.days != 0 {
		parts = append(parts, plural(iv.days, "day"))
	}
	if iv.us != 0 || len(parts) == 0 {
		us := iv.us
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		h := us / 3_600_000_000
		m := us / 60_000_000 % 60
		s := us / 1_000_000 % 60
		frac := us % 1_000_000
		t := sign + pad2(h) + ":" + pad2(m) + ":" + pad2(s)
		if frac != 0 {
			t += strings.TrimRight("."+leftPad(strconv.FormatInt(frac, 10), 6), "0")
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

func pad2(n int64) string { return leftPad(strconv.FormatInt(n, 10), 2) }

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

var (
	intervalUnitRE = regexp.MustCompile(`(?i)^([+-]?\d+(?:\.\d+)?)\s*(years?|y|mons?|months?|weeks?|w|days?|d|hours?|h|hrs?|minutes?|mins?|m|seconds?|secs?|s|milliseconds?|ms|microseconds?|us)\b\s*`)
	intervalTimeRE = regexp.MustCompile(`^([+-])?(\d+):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?\s*`)
)

// parseInterval parses an interval literal ("1 day", "2 hours 30 minutes",
// "1 year 2 mons 3 days 04:05:06", "-1 day", "01:00:00", "1.5 hours").
func parseInterval(s string) (pgInterval, bool) {
	var iv pgInterval
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "@"))
	if rest == "" {
		return iv, false
	}
	ago := false
	if l := strings.ToLower(rest); strings.HasSuffix(l, " ago") {
		ago, rest = true, strings.TrimSpace(rest[:len(rest)-4])
	}
	for rest != "" {
		if m := intervalTimeRE.FindStringSubmatch(rest); m != nil {
			h, _ := strconv.ParseInt(m[2], 10, 64)
			mi, _ := strconv.ParseInt(m[3], 10, 64)
			sec, _ := strconv.ParseInt(m[4], 10, 64)
			frac := int64(0)
			if m[5] != "" {
				frac, _ = strconv.ParseInt((m[5] + "000000")[:6], 10, 64)
			}
			us := ((h*60+mi)*60+sec)*1_000_000 + frac
			if m[1] == "-" {
				us = -us
			}
			iv.us += us
			rest = rest[len(m[0]):]
			continue
		}
		m := intervalUnitRE.FindStringSubmatch(rest)
		if m == nil {
			return iv, false
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		unit := strings.ToLower(m[2])
		switch {
		case strings.HasPrefix(unit, "y"):
			iv.months += int(math.Round(n * 12))
		case strings.HasPrefix(unit, "mon"):
			whole := math.Trunc(n)
			iv.months += int(whole)
			iv.days += int(math.Round((n - whole) * 30))
		case strings.HasPrefix(unit, "w"):
			iv.days += int(math.Round(n * 7))
		case strings.HasPrefix(unit, "d"):
			whole := math.Trunc(n)
			iv.days += int(whole)
			iv.us += int64(math.Round((n - whole) * 86_400_000_000))
		case strings.HasPrefix(unit, "h"):
			iv.us += int64(math.Round(n * 3_600_000_000))
		case unit == "m" || strings.HasPrefix(unit, "min"):
			iv.us += int64(math.Round(n * 60_000_000))
		case unit == "ms" || strings.HasPrefix(unit, "milli"):
			iv.us += int64(math.Round(n * 1000))
		case unit == "us" || strings.HasPrefix(unit, "micro"):
			iv.us += int64(math.Round(n))
		default: // seconds
			iv.us += int64(math.Round(n * 1_000_000))
		}
		rest = rest[len(m[0]):]
	}
	if ago {
		iv = pgInterval{-iv.months, -iv.days, -iv.us}
	}
	return iv, true
}

// addInterval adds an interval to a time.
func addInterval(t time.Time, iv pgInterval, sign int) time.Time {
	t = t.AddDate(0, sign*iv.months, sign*iv.days)
	return t.Add(time.Duration(int64(sign)*iv.us) * time.Microsecond)
}

// jsDate formats a time like JavaScript's Date.prototype.toJSON.
func jsDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// toWire converts a stored value to what node-pg makes of a value of type
// oid. scale is the display scale of numeric values (-1: as computed).
func toWire(oid, scale int, v any) any {
	if v == nil {
		return nil
	}
	if n, ok := v.(json.Number); ok {
		switch oid {
		case 20, 1700, 25:
			return string(n)
		}
		v = plainNumber(n)
	}
	switch oid {
	case 20:
		switch x := v.(type) {
		case float64:
			return strconv.FormatFloat(math.Trunc(x), 'f', 0, 64)
		case bool:
			if x {
				return "1"
			}
			return "0"
		}
		return displayValue(v)
	case 1700:
		switch x := v.(type) {
		case float64:
			return formatNumeric(x, scale)
		case string:
			return x
		}
		return displayValue(v)
	case 21, 23, 26, 700, 701:
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
				return f
			}
		}
		return v
	case 1082, 1114, 1184:
		if s, ok := v.(string); ok {
			if t, ok := parseTime(s); ok {
				if oid == 1082 {
					t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
				}
				return jsDate(t)
			}
		}
		return v
	case 1186:
		if iv, ok := v.(pgInterval); ok {
			return iv.object()
		}
		if s, ok := v.(string); ok {
			if iv, ok := parseInterval(s); ok {
				return iv.object()
			}
		}
		return v
	case 2278:
		return ""
	case 16, 114, 3802, 25, 705, 1043, 1042, 19, 2950:
		switch x := v.(type) {
		case pgInterval:
			return x.String()
		case float64:
			if oid == 25 || oid == 705 || oid == 1043 || oid == 19 {
				return displayValue(x)
			}
		}
		return v
	}
	if el := elemOID(oid); el != 0 {
		if arr, ok := v.([]any); ok {
			out := make([]any, len(arr))
			for i, e := range arr {
				out[i] = toWire(el, -1, e)
			}
			return out
		}
	}
	if iv, ok := v.(pgInterval); ok {
		return iv.String()
	}
	return v
}

// formatNumeric formats a numeric with the given display scale (-1:
// shortest exact decimal form of the float).
func formatNumeric(f float64, scale int) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	if scale < 0 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	if r == nil {
		return strconv.FormatFloat(f, 'f', scale, 64)
	}
	return r.FloatString(scale)
}

// numericWeight returns the base-10000 weight and first digit of a decimal
// number (Postgres NumericVar), for select_div_scale.
func numericWeight(r *big.Rat) (weight, first int) {
	if r.Sign() == 0 {
		return 0, 0
	}
	a := new(big.Rat).Abs(r)
	w := 0
	ten4 := big.NewRat(10000, 1)
	one := big.NewRat(1, 1)
	for a.Cmp(ten4) >= 0 {
		a.Quo(a, ten4)
		w++
	}
	for a.Cmp(one) < 0 {
		a.Mul(a, ten4)
		w--
	}
	fl, _ := a.Float64()
	return w, int(math.Floor(fl))
}

// numericDiv divides like Postgres numeric division (select_div_scale):
// used for avg() of integer and numeric values.
func numericDiv(num, den *big.Rat, dscale1, dscale2 int) string {
	if den.Sign() == 0 {
		return "NaN"
	}
	w1, f1 := numericWeight(num)
	w2, f2 := numericWeight(den)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := 16 - qweight*4
	rscale = max(rscale, dscale1, dscale2, 0)
	rscale = min(rscale, 1000)
	return new(big.Rat).Quo(num, den).FloatString(rscale)
}

// decimalScale returns the number of digits after the point of a decimal
// literal ("1.50" → 2, "3" → 0, "1e3" → -1).
func decimalScale(text string) int {
	if strings.ContainsAny(text, "eE") {
		return -1
	}
	if i := strings.IndexByte(text, '.'); i >= 0 {
		return len(text) - i - 1
	}
	return 0
}
