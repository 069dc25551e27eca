package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// RetryAfterMode is how a 429 says when to come back.
type RetryAfterMode string

const (
	RetryAfterSeconds RetryAfterMode = "seconds" // "Retry-After: 12"
	RetryAfterDate    RetryAfterMode = "date"    // "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT"
	RetryAfterZero    RetryAfterMode = "zero"    // "Retry-After: 0", which a client must not take as "hammer"
	RetryAfterNone    RetryAfterMode = "none"    // no header at all
)

// Faults are the ways the simulator misbehaves on purpose. Rates are shares of API
// requests (0.05 = 5 %); the draws come from the simulator's seed.
type Faults struct {
	ServerErrorRate float64       // answer 500, 502 or 503
	DropRate        float64       // close the connection without an answer
	MalformedRate   float64       // cut a list page's JSON short
	Latency         time.Duration // added to every API answer
	LatencyJitter   time.Duration // plus up to this much, drawn per request
	// LoopAtPage > 0 makes that page's next link point back to page 1.
	LoopAtPage int
	// TypeChangeFromPage > 0 turns TypeChangeField (default "total_usage") into text
	// on that page and after: a field changing type mid-stream.
	TypeChangeFromPage int
	TypeChangeField    string
	// NextLinkBase, when set, is the scheme and host put in next links instead of the
	// request's own: a proxy that rewrites links, or a server trying to draw the key
	// to another host.
	NextLinkBase string
	// Endpoints limits the faults to these endpoint names; empty means all.
	Endpoints []string
}

// FaultSpecHelp describes ParseFaults' syntax, for --help.
const FaultSpecHelp = `comma-separated key=value: 5xx=0.05 (share of 500/502/503), drop=0.01 (closed connections), ` +
	`malformed=0.01 (pages cut short), latency=50ms or latency=20ms+30ms (fixed + random), loop=3 (page 3 links back to page 1), ` +
	`typechange=2 or typechange=2:votes_sum (a field turns to text from page 2), next-base=http://other.host:80 (next links to another host), ` +
	`endpoints=resource_catalog+document (limit faults to these)`

// ParseFaults reads the --faults flag; see FaultSpecHelp.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return f, nil
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return f, fmt.Errorf("fault %q: write it as key=value (%s)", part, FaultSpecHelp)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var err error
		switch k {
		case "5xx":
			f.ServerErrorRate, err = parseShare(k, v)
		case "drop":
			f.DropRate, err = parseShare(k, v)
		case "malformed":
			f.MalformedRate, err = parseShare(k, v)
		case "latency":
			base, jitter, _ := strings.Cut(v, "+")
			if f.Latency, err = time.ParseDuration(base); err == nil && jitter != "" {
				f.LatencyJitter, err = time.ParseDuration(jitter)
			}
			if err != nil {
				err = fmt.Errorf("fault latency=%s: give a duration such as 50ms or 20ms+30ms", v)
			}
		case "loop":
			f.LoopAtPage, err = parsePage(k, v)
		case "typechange":
			page, fieldName, _ := strings.Cut(v, ":")
			f.TypeChangeFromPage, err = parsePage(k, page)
			f.TypeChangeField = fieldName
		case "next-base":
			if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				err = fmt.Errorf("fault next-base=%s: give a scheme and host such as http://other.host:80", v)
			}
			f.NextLinkBase = strings.TrimRight(v, "/")
		case "endpoints":
			f.Endpoints = strings.Split(v, "+")
			for _, name := range f.Endpoints {
				if _, ok := secoda.LookupEndpoint(name); !ok && name != "query" {
					err = fmt.Errorf("fault endpoints=%s: no endpoint %q (`secoda-workbench endpoints` lists them)", v, name)
					break
				}
			}
		default:
			err = fmt.Errorf("unknown fault %q (%s)", k, FaultSpecHelp)
		}
		if err != nil {
			return Faults{}, err
		}
	}
	return f, nil
}

func parseShare(k, v string) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if strings.HasSuffix(v, "%") {
		x /= 100
	}
	if err != nil || x < 0 || x > 1 {
		return 0, fmt.Errorf("fault %s=%s: give a share between 0 and 1 (0.05) or a percentage (5%%)", k, v)
	}
	return x, nil
}

func parsePage(k, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("fault %s=%s: give a page number from 1", k, v)
	}
	return n, nil
}

func (f *Faults) appliesTo(endpoint string) bool {
	if len(f.Endpoints) == 0 {
		return true
	}
	for _, e := range f.Endpoints {
		if e == endpoint {
			return true
		}
	}
	return false
}
