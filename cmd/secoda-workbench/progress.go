package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// progressPrinter shows a run's progress on stderr: a live table redrawn in place on a
// terminal, plain lines (at most one a second per resource, and each retry) otherwise.
type progressPrinter struct {
	io      *ioStreams
	mu      sync.Mutex
	start   time.Time
	res     map[string]*resProgress
	retries int
	limited int
	drawn   int // lines drawn last time, to move back over
	last    time.Time
}

type resProgress struct {
	pipeline.Progress
	lastLine time.Time
}

func newProgressPrinter(io *ioStreams) *progressPrinter {
	return &progressPrinter{io: io, start: time.Now(), res: map[string]*resProgress{}}
}

func (p *progressPrinter) update(ev pipeline.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Retry != nil {
		p.retries++
		if ev.Retry.Status == 429 {
			p.limited++
		}
		if !p.io.ErrTTY {
			fmt.Fprintf(p.io.ErrOut, "retrying %s %s (%s), attempt %d, in %s\n", ev.Retry.Method, ev.Retry.Path, ev.Retry.Reason,
				ev.Retry.Attempt+1, ev.Retry.Wait.Round(time.Millisecond))
		}
		return
	}
	r := p.res[ev.Resource]
	if r == nil {
		r = &resProgress{}
		p.res[ev.Resource] = r
	}
	rows, total := r.Rows, r.TotalPages
	r.Progress = ev
	if ev.Rows < 0 {
		r.Rows = rows
	}
	if ev.TotalPages < 0 && ev.Partitions <= 1 {
		r.TotalPages = total // the last event does not repeat it
	}
	if p.io.ErrTTY {
		if time.Since(p.last) > 100*time.Millisecond || ev.Done {
			p.draw()
		}
		return
	}
	if ev.Done || time.Since(r.lastLine) >= time.Second {
		r.lastLine = time.Now()
		fmt.Fprintln(p.io.ErrOut, p.line(ev.Resource, r))
	}
}

func (p *progressPrinter) line(name string, r *resProgress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s page %d", name, r.Pages)
	if r.TotalPages > 0 {
		fmt.Fprintf(&b, "/%d", r.TotalPages)
	}
	if r.Partitions > 1 {
		fmt.Fprintf(&b, " (%d of %d partitions read)", r.PartitionsDone, r.Partitions)
	}
	fmt.Fprintf(&b, ", %d records", r.Records)
	if r.Skipped > 0 {
		fmt.Fprintf(&b, " (%d already loaded)", r.Skipped)
	}
	if r.Rows > 0 {
		el := time.Since(p.start).Seconds()
		fmt.Fprintf(&b, ", %d rows, %.0f rows/s", r.Rows, float64(r.Rows-r.EarlierRows)/max(el, 0.001))
	}
	switch {
	case r.Done:
		b.WriteString(", done")
	case r.TotalPages > 0 && r.Pages > 0 && r.Pages < r.TotalPages:
		el := time.Since(p.start)
		eta := time.Duration(float64(el) / float64(r.Pages) * float64(r.TotalPages-r.Pages))
		fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
	}
	return b.String()
}

// draw redraws the live table in place.
func (p *progressPrinter) draw() {
	p.last = time.Now()
	var names []string
	for n := range p.res {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, n := range names {
		b.WriteString("\x1b[2K" + p.line(n, p.res[n]) + "\n")
	}
	b.WriteString(fmt.Sprintf("\x1b[2K%d retries, %d answered 429, %s\n", p.retries, p.limited, time.Since(p.start).Round(100*time.Millisecond)))
	p.drawn = len(names) + 1
	fmt.Fprint(p.io.ErrOut, b.String())
}

// finish draws the final state.
func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.io.ErrTTY && len(p.res) > 0 {
		p.draw()
	}
}
