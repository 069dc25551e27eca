package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// schedules are the expressions the conversions are checked on: steps, ranges, lists,
// names, both day fields, the shorthands, February 29.
var schedules = []string{
	"0 */6 * * *",
	"*/15 * * * *",
	"1-59/7 * * * *",
	"30 2 * * 1-5",
	"0 9-17/2 * * mon-fri",
	"5,35 1,13 * * *",
	"0 12 * jan,jul sun",
	"0 0 1 * *",
	"0 0 31 * *",
	"0 0 29 2 *",
	"15 3 1,15 * 1",     // both day fields: either matches
	"0 0 1-31/2 * 1",    // both day fields, a step over a range
	"45 23 13 * FRI",    // Friday the 13th, or any Friday, or any 13th
	"0 4 * * 7",         // Sunday as 7
	"0 4 * * 5-7",       // a range to Sunday as 7
	"0 22 * * sat,sun",  // the weekend
	"7 */5 */3 * *",     // a step in the day of month, day of week free
	"0 0 * */2 *",       // every other month
	"0 6 10-20 3-9/3 *", // ranges and a step in the month
	"0 0,12 * * */2",    // a step in the day of week
	"59 23 * * 0",       // the week's last minute
	"0 0 1 1 *",         // once a year
	"30 8 * * 1,3,5",    // a list of weekdays
	"0 0-23/8 * * 2-4",  // hours by step, a weekday range
	"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@midnight", "@annually",
}

// robfigNext is robfig's next time, past its five-year horizon: it gives up on a
// schedule that waits longer (February 29 from 2096 to 2104), having found nothing in
// the years it searched.
func robfigNext(s cron.Schedule, t time.Time) time.Time {
	for range 4 {
		if n := s.Next(t); !n.IsZero() {
			return n
		}
		t = t.AddDate(5, 0, 0)
	}
	return time.Time{}
}

var bases = []time.Time{
	time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC),
	time.Date(2027, 12, 31, 23, 59, 30, 0, time.UTC),
	time.Date(2028, 2, 28, 12, 0, 30, 0, time.UTC),
}

// TestScheduleMatchesRobfig: the parsed schedule fires when robfig/cron (the
// CronJob's parser, an implementation of its own) says the expression does, and so
// does the expression written back out (Cron), which every target's file holds.
func TestScheduleMatchesRobfig(t *testing.T) {
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	for _, expr := range schedules {
		t.Run(expr, func(t *testing.T) {
			s, err := ParseSchedule(expr)
			if err != nil {
				t.Fatal(err)
			}
			written, err := parser.Parse(s.Cron())
			if err != nil {
				t.Fatalf("robfig does not parse the written form %q: %v", s.Cron(), err)
			}
			// robfig takes Sunday as 0 only: its reading of the original is checked
			// where it has one.
			original, errOriginal := parser.Parse(expr)
			for _, base := range bases {
				ours, theirs, again := base, base, base
				for i := range 300 {
					ours, theirs = s.Next(ours), robfigNext(written, theirs)
					if !ours.Equal(theirs) {
						t.Fatalf("from %s, run %d: ours %s, robfig's of %q %s", base, i, ours, s.Cron(), theirs)
					}
					if errOriginal == nil {
						if again = robfigNext(original, again); !again.Equal(ours) {
							t.Fatalf("from %s, run %d: ours %s, robfig's of %q %s", base, i, ours, expr, again)
						}
					}
				}
			}
		})
	}
}

// TestWrittenFormIsStable: the written form reads back as itself.
func TestWrittenFormIsStable(t *testing.T) {
	for _, expr := range schedules {
		s, err := ParseSchedule(expr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseSchedule(s.Cron())
		if err != nil || again.Cron() != s.Cron() {
			t.Errorf("%q wrote %q, which reads back as %v (%v)", expr, s.Cron(), again, err)
		}
	}
}

func TestScheduleWrittenForms(t *testing.T) {
	for expr, want := range map[string]struct{ cron, calendar string }{
		"0 */6 * * *":          {"0 */6 * * *", "*-*-* 00..18/6:00:00 UTC"},
		"30 2 * * mon-fri":     {"30 2 * * 1-5", "Mon..Fri *-*-* 02:30:00 UTC"},
		"0 22 * * sat,sun":     {"0 22 * * 0,6", "Sat,Sun *-*-* 22:00:00 UTC"},
		"0 4 * * 5-7":          {"0 4 * * 0,5,6", "Fri..Sun *-*-* 04:00:00 UTC"},
		"15 3 1,15 * 1":        {"15 3 1,15 * 1", "*-*-01,15 03:15:00 UTC|Mon *-*-* 03:15:00 UTC"},
		"0 9-17/2 * jan,jul *": {"0 9-17/2 * 1,7 *", "*-01,07-* 09..17/2:00:00 UTC"},
		"@weekly":              {"0 0 * * 0", "Sun *-*-* 00:00:00 UTC"},
		"1-59/7 * * * *":       {"1-57/7 * * * *", "*-*-* *:01..57/7:00 UTC"},
		// Either day field: every day of the month, or Monday to Friday.
		"0 0 1-31 * 1-5": {"0 0 1-31 * 1-5", "*-*-* 00:00:00 UTC|Mon..Fri *-*-* 00:00:00 UTC"},
	} {
		s, err := ParseSchedule(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Cron(); got != want.cron {
			t.Errorf("%q: Cron() = %q, want %q", expr, got, want.cron)
		}
		if got := strings.Join(s.OnCalendar(), "|"); got != want.calendar {
			t.Errorf("%q: OnCalendar() = %q, want %q", expr, got, want.calendar)
		}
	}
}

func TestScheduleRefusals(t *testing.T) {
	for expr, want := range map[string]string{
		"0 0 * *":        "has 4 fields, not 5",
		"0 0 * * * *":    "has 6 fields, not 5",
		"60 * * * *":     `minute "60": give a number from 0 to 59`,
		"0 24 * * *":     `hour "24"`,
		"0 0 0 * *":      `day of month "0"`,
		"0 0 * 13 *":     `month "13"`,
		"0 0 * * 8":      `day of week "8"`,
		"0 0 * * funday": `day of week "funday"`,
		"5-1 * * * *":    "a range runs from low to high",
		"*/0 * * * *":    "the step after / must be a whole number from 1",
		"0 0 ? * *":      `day of month "?"`,
		"0 0 1,,2 * *":   "a value is missing",
		"@reboot":        "@reboot is not a shorthand this command knows",
		"0 0 30 2 *":     "never fires",
		"0 0 31 4,6 *":   "never fires",
		"0 0 */2 * 1":    "crons disagree",
		"0 0 1 * */2":    "crons disagree",
		"":               "has 0 fields",
	} {
		_, err := ParseSchedule(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchedule(%q) = %v, want an error saying %q", expr, err, want)
		}
	}
}

// systemdAnalyze is systemd-analyze's path. Without it the test skips, unless
// scripts/test asked for it (SECODA_WORKBENCH_INTEGRATION), which installs systemd:
// then it fails.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("SECODA_WORKBENCH_INTEGRATION") != "" {
			t.Fatal("systemd-analyze is missing: scripts/test installs systemd")
		}
		t.Skip("needs systemd-analyze (Debian's systemd; scripts/test installs it)")
	}
	return path
}

var elapse = regexp.MustCompile(`(?m)^\s*(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$`)

// TestOnCalendarFiresWhenCronDoes: systemd's own reading of the timer's OnCalendar=
// lines (systemd-analyze calendar, all of them together as a timer takes them) fires at
// the times robfig/cron says the cron expression does.
func TestOnCalendarFiresWhenCronDoes(t *testing.T) {
	analyze := systemdAnalyze(t)
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	const n = 60
	for _, expr := range schedules {
		t.Run(expr, func(t *testing.T) {
			s, err := ParseSchedule(expr)
			if err != nil {
				t.Fatal(err)
			}
			want, err := parser.Parse(s.Cron())
			if err != nil {
				t.Fatal(err)
			}
			for _, base := range bases {
				args := append([]string{"calendar", "--iterations=" + strconv.Itoa(n), "--base-time=" + base.Format("2006-01-02 15:04:05") + " UTC"}, s.OnCalendar()...)
				cmd := exec.Command(analyze, args...)
				cmd.Env = append(os.Environ(), "TZ=UTC", "SYSTEMD_COLORS=0")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("systemd-analyze %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				// A timer fires at the earliest of its expressions' next times.
				var got []string
				for _, m := range elapse.FindAllStringSubmatch(string(out), -1) {
					got = append(got, m[1])
				}
				slices.Sort(got)
				got = slices.Compact(got)
				next := base
				for i := range n {
					next = robfigNext(want, next)
					if i >= len(got) {
						// systemd computes no time past 2199.
						if next.Year() < 2200 {
							t.Fatalf("systemd-analyze gave %d times, want %d:\n%s", len(got), n, out)
						}
						break
					}
					if w := next.Format("2006-01-02 15:04:05"); got[i] != w {
						t.Fatalf("OnCalendar=%q from %s, run %d: systemd %s, cron %s", s.OnCalendar(), base, i, got[i], w)
					}
				}
			}
		})
	}
}

// FuzzParseSchedule: whatever parses writes a form that parses to the same schedule and
// that robfig/cron reads as firing at the same times.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range schedules {
		f.Add(s)
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseSchedule(expr)
		if err != nil {
			return
		}
		again, err := ParseSchedule(s.Cron())
		if err != nil || again.Cron() != s.Cron() {
			t.Fatalf("%q wrote %q, which reads back as %v (%v)", expr, s.Cron(), again, err)
		}
		theirs, err := parser.Parse(s.Cron())
		if err != nil {
			t.Fatalf("robfig does not parse %q (from %q): %v", s.Cron(), expr, err)
		}
		a, b := bases[0], bases[0]
		for range 20 {
			a, b = s.Next(a), robfigNext(theirs, b)
			if !a.Equal(b) {
				t.Fatalf("%q: ours %s, robfig's %s", s.Cron(), a, b)
			}
		}
	})
}
