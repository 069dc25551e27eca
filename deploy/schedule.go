package deploy

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// DefaultSchedule runs the pipeline every six hours, on the hour.
const DefaultSchedule = "0 */6 * * *"

// Schedule is a five-field cron expression (minute hour day-of-month month
// day-of-week), parsed into the set of values each field matches. It is written back
// out in one form every scheduler reads alike: numbers, not names; no "*/n" where a
// field is restricted; Sunday as 0. Times are UTC wherever the scheduler lets us say
// so (GitHub Actions only knows UTC; the CronJob and the timer say it), and the
// machine's time zone for cron.
type Schedule struct {
	text                   string
	minute, hour, dom, mon uint64 // bit v set: value v matches
	dow                    uint64 // 0 (Sunday) to 6
	// domStar and dowStar are a day field written as a bare "*": cron matches a day
	// when both fields do if either is "*", and when either does otherwise.
	domStar, dowStar bool
}

type field struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
}

var (
	minuteField = field{name: "minute", min: 0, max: 59}
	hourField   = field{name: "hour", min: 0, max: 23}
	domField    = field{name: "day of month", min: 1, max: 31}
	monthField  = field{name: "month", min: 1, max: 12,
		names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}}
	// Day of week takes 0 to 7, both of them Sunday, as cron does.
	dowField = field{name: "day of week", min: 0, max: 7,
		names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"}}
)

// macros are the shorthands cron takes for common schedules.
var macros = map[string]string{
	"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
	"@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}

const scheduleHelp = `write five fields, "MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK", e.g. "0 */6 * * *" (every six hours) or "30 2 * * 1-5" (02:30 on weekdays), or @hourly, @daily, @weekly, @monthly`

// ParseSchedule reads a cron expression: five fields, each a list of *, values,
// ranges (a-b) and steps (*/n, a-b/n, a/n), with month and day names (jan, mon), or
// one of the @hourly, @daily, @weekly, @monthly, @yearly shorthands.
func ParseSchedule(text string) (*Schedule, error) {
	text = strings.TrimSpace(text)
	expr := text
	if strings.HasPrefix(expr, "@") {
		m, ok := macros[strings.ToLower(expr)]
		if !ok {
			return nil, fmt.Errorf("schedule %q: %s is not a shorthand this command knows (@reboot has no place in a scheduler's file); %s", text, expr, scheduleHelp)
		}
		expr = m
	}
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return nil, fmt.Errorf("schedule %q has %d fields, not 5: %s", text, len(parts), scheduleHelp)
	}
	s := &Schedule{text: text}
	var err error
	fields := []struct {
		f   field
		out *uint64
	}{{minuteField, &s.minute}, {hourField, &s.hour}, {domField, &s.dom}, {monthField, &s.mon}, {dowField, &s.dow}}
	for i, f := range fields {
		if *f.out, err = f.f.parse(parts[i]); err != nil {
			return nil, fmt.Errorf("schedule %q: %w", text, err)
		}
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow = s.dow&^(1<<7) | 1
	}
	s.domStar, s.dowStar = isStar(parts[2]), isStar(parts[4])
	// "*/2" is a star to some crons (Vixie's, cronie) and not to others (the
	// CronJob's): with the other day field restricted they fire on different days.
	for _, p := range []struct{ this, other string }{{parts[2], parts[4]}, {parts[4], parts[2]}} {
		if strings.HasPrefix(p.this, "*") && !isStar(p.this) && !isStar(p.other) {
			return nil, fmt.Errorf("schedule %q: with both day fields restricted, crons disagree on what %q means (all days, or any day that matches either field): "+
				"write the days it means as a range, e.g. 1-31/2 for every other day of the month", text, p.this)
		}
	}
	if !s.everFires() {
		return nil, fmt.Errorf("schedule %q never fires: no month it names has the day of month it names", text)
	}
	return s, nil
}

func isStar(f string) bool { return f == "*" || f == "*/1" }

func (f field) parse(text string) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(text, ",") {
		lo, hi, step := f.min, f.max, 1
		rng, stepText, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("%s %q: the step after / must be a whole number from 1", f.name, item)
			}
			step = n
		}
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("%s %q: a range runs from low to high (%d-%d)", f.name, item, hi, lo)
			}
		default:
			v, err := f.value(rng)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		if f.name == dowField.name && hasStep && !strings.Contains(rng, "-") {
			hi = min(hi, 6) // "*/2" and "1/2" count Sunday once, as 0
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func (f field) value(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%s: a value is missing (in a list or range)", f.name)
	}
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		what := fmt.Sprintf("a number from %d to %d", f.min, f.max)
		if f.names != nil {
			what += " or a name (" + f.names[0] + ", " + f.names[1] + ", ...)"
		}
		return 0, fmt.Errorf("%s %q: give %s", f.name, s, what)
	}
	return v, nil
}

// daysIn is the most days a month has (February's 29 in a leap year).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func (s *Schedule) everFires() bool {
	if s.domStar || !s.dowStar {
		return true // every month has each weekday
	}
	for m := 1; m <= 12; m++ {
		if s.mon&(1<<m) != 0 && s.dom&(1<<(daysIn[m]+1)-1) != 0 {
			return true
		}
	}
	return false
}

// String is the expression as given.
func (s *Schedule) String() string { return s.text }

// Cron is the expression in the form every cron reads alike: numbers, Sunday as 0,
// and a restricted day field never written as "*".
func (s *Schedule) Cron() string {
	return strings.Join([]string{
		cronField(s.minute, minuteField.min, minuteField.max, false),
		cronField(s.hour, hourField.min, hourField.max, false),
		cronField(s.dom, domField.min, domField.max, !s.domStar),
		cronField(s.mon, monthField.min, monthField.max, false),
		cronField(s.dow, 0, 6, !s.dowStar),
	}, " ")
}

// OnCalendar is the schedule as systemd timer expressions, in UTC. Cron fires on a day
// that matches either day field when both are restricted, where one systemd expression
// needs both: that takes two expressions, one per field, which a timer ORs.
func (s *Schedule) OnCalendar() []string {
	month := calendarField(s.mon, monthField.min, monthField.max)
	at := calendarField(s.hour, hourField.min, hourField.max) + ":" + calendarField(s.minute, minuteField.min, minuteField.max) + ":00 UTC"
	dom := calendarField(s.dom, domField.min, domField.max)
	switch {
	case s.domStar && s.dowStar:
		return []string{"*-" + month + "-* " + at}
	case s.dowStar:
		return []string{"*-" + month + "-" + dom + " " + at}
	case s.domStar:
		return []string{weekdays(s.dow) + " *-" + month + "-* " + at}
	}
	return []string{"*-" + month + "-" + dom + " " + at, weekdays(s.dow) + " *-" + month + "-* " + at}
}

// Next is the first time after t the schedule fires, in t's location (UTC for the
// schedulers that run in UTC). Eight years hold a run of every schedule ParseSchedule
// takes: the sparsest, a February 29, may wait eight (from 2096 to 2104).
func (s *Schedule) Next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	for i := 0; i < 8*366; i, day = i+1, day.AddDate(0, 0, 1) {
		if !s.dayMatches(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if s.hour&(1<<h) == 0 {
				continue
			}
			for m := 0; m < 60; m++ {
				if s.minute&(1<<m) == 0 {
					continue
				}
				if c := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, day.Location()); !c.Before(t) {
					return c
				}
			}
		}
	}
	return time.Time{}
}

func (s *Schedule) dayMatches(day time.Time) bool {
	if s.mon&(1<<int(day.Month())) == 0 {
		return false
	}
	dom, dow := s.dom&(1<<day.Day()) != 0, s.dow&(1<<int(day.Weekday())) != 0
	switch {
	case s.domStar || s.dowStar:
		return dom && dow
	}
	return dom || dow
}

// MinInterval is the shortest time between two runs, over the next thousand.
func (s *Schedule) MinInterval() time.Duration {
	t := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	shortest := time.Duration(1<<63 - 1)
	for range 1000 {
		n := s.Next(t)
		if n.IsZero() {
			break
		}
		shortest = min(shortest, n.Sub(t))
		t = n
	}
	return shortest
}

// runs are the set's values as runs of consecutive values, low to high.
func runs(set uint64, lo, hi int) [][2]int {
	var out [][2]int
	for v := lo; v <= hi; v++ {
		if set&(1<<v) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1] == v-1 {
			out[n-1][1] = v
		} else {
			out = append(out, [2]int{v, v})
		}
	}
	return out
}

// progression finds a set of three or more values lo+k*step: its first, last and step.
func progression(set uint64) (first, last, step int, ok bool) {
	if bits.OnesCount64(set) < 3 {
		return 0, 0, 0, false
	}
	first = bits.TrailingZeros64(set)
	rest := set &^ (1 << first)
	step = bits.TrailingZeros64(rest) - first
	last = 63 - bits.LeadingZeros64(set)
	if step < 2 || (last-first)%step != 0 {
		return 0, 0, 0, false
	}
	var want uint64
	for v := first; v <= last; v += step {
		want |= 1 << v
	}
	return first, last, step, want == set
}

// cronField writes a set as cron reads it alike everywhere: "*" for all values (unless
// the field is a restricted day field, whose "*" would change what the other day
// field means), "*/n" and "a-b/n" for steps, else ranges and values.
func cronField(set uint64, lo, hi int, restricted bool) string {
	all := uint64(1<<(hi+1)-1) &^ (1<<lo - 1)
	if set == all && !restricted {
		return "*"
	}
	if first, last, step, ok := progression(set); ok {
		if first == lo && last+step > hi && !restricted {
			return "*/" + strconv.Itoa(step)
		}
		return fmt.Sprintf("%d-%d/%d", first, last, step)
	}
	var parts []string
	for _, r := range runs(set, lo, hi) {
		switch {
		case r[1]-r[0] >= 2:
			parts = append(parts, fmt.Sprintf("%d-%d", r[0], r[1]))
		case r[1] > r[0]:
			parts = append(parts, strconv.Itoa(r[0]), strconv.Itoa(r[1]))
		default:
			parts = append(parts, strconv.Itoa(r[0]))
		}
	}
	return strings.Join(parts, ",")
}

// calendarField writes a set as a systemd calendar component, two digits a value.
func calendarField(set uint64, lo, hi int) string {
	all := uint64(1<<(hi+1)-1) &^ (1<<lo - 1)
	if set == all {
		return "*"
	}
	// Always bounded: systemd 252 misreads an open repetition ("01/7") where it carries
	// into the next hour or day (from 23:59, *:01/7 fires first at 00:08).
	if first, last, step, ok := progression(set); ok {
		return fmt.Sprintf("%02d..%02d/%d", first, last, step)
	}
	var parts []string
	for _, r := range runs(set, lo, hi) {
		switch {
		case r[1]-r[0] >= 2:
			parts = append(parts, fmt.Sprintf("%02d..%02d", r[0], r[1]))
		case r[1] > r[0]:
			parts = append(parts, fmt.Sprintf("%02d", r[0]), fmt.Sprintf("%02d", r[1]))
		default:
			parts = append(parts, fmt.Sprintf("%02d", r[0]))
		}
	}
	return strings.Join(parts, ",")
}

// weekdays writes a day-of-week set as systemd does, Monday first: Mon..Fri,Sun.
func weekdays(set uint64) string {
	names := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	// Monday to Sunday as 1 to 7, for ranges across the weekend's end.
	week := set&^1 | (set&1)<<7
	var parts []string
	for _, r := range runs(week, 1, 7) {
		switch {
		case r[1]-r[0] >= 2:
			parts = append(parts, names[r[0]]+".."+names[r[1]])
		case r[1] > r[0]:
			parts = append(parts, names[r[0]], names[r[1]])
		default:
			parts = append(parts, names[r[0]])
		}
	}
	return strings.Join(parts, ",")
}
