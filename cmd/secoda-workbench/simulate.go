package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/internal/httpserve"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func newSimulateCmd(a *app) *cobra.Command {
	io := a.io
	var (
		addr, apiKey, size, faults, retryAfter, capMode string
		seed                                            uint64
		rateLimit, pageSize, catalogCap                 int
		verbose, capLists                               bool
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Serve a simulated Secoda API on loopback, for offline work and tests",
		Long: "Serve a seeded, deterministic Secoda workspace that answers as the documented API does\n" +
			"(envelopes, pagination, catalog filter and sort, rate limits, faults). Point the pipeline at it with\n" +
			"SECODA_API_URL=http://ADDR/api/v1 and the key it accepts.\n\n" +
			"Past the catalog's cap Secoda's docs do not say what count and next do; --cap-mode chooses: count (count and\n" +
			"total_pages describe the capped set), total (they give the true size, the pages still end at the cap) or hidden\n" +
			"(no count, no total_pages). --cap-lists caps the deprecated per-type lists and resource/all too.\n\n" +
			"Faults: " + simulator.FaultSpecHelp,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return usagef(cmd, "--addr %q: give host:port, such as 127.0.0.1:8787", addr)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return usagef(cmd, "--addr %q: the simulator listens on loopback only; use 127.0.0.1:PORT", addr)
			}
			// The simulator holds its workspace in memory and answers from it: these keep
			// one request's answer, and the pacing, within what the real API does.
			for _, n := range []struct {
				flag           string
				v, least, most int
			}{{"--rate-limit", rateLimit, 0, 1_000_000}, {"--page-size", pageSize, 1, 1000}, {"--catalog-cap", catalogCap, -1, 10_000_000}} {
				if n.v < n.least || n.v > n.most {
					return usagef(cmd, "%s %d: give %d to %d", n.flag, n.v, n.least, n.most)
				}
			}
			f, err := simulator.ParseFaults(faults)
			if err != nil {
				return usagef(cmd, "--faults: %v", err)
			}
			generated := apiKey == ""
			if generated {
				apiKey = "sim-" + randomHex(16)
			}
			opts := simulator.Options{
				Size: simulator.Size(size), Seed: seed, APIKeys: []string{apiKey}, PageSize: pageSize,
				CatalogCap: catalogCap, CapMode: simulator.CapMode(capMode), CapLists: capLists,
				RateLimit: rateLimit, RetryAfter: simulator.RetryAfterMode(retryAfter), Faults: f,
			}
			if verbose {
				opts.Logger = slog.New(slog.NewTextHandler(io.ErrOut, nil))
			}
			sim, err := simulator.New(opts)
			if err != nil {
				return usagef(cmd, "%v", err)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("cannot listen on %s: %w (is another simulator running? choose another port with --addr)", addr, err)
			}
			base := "http://" + ln.Addr().String() + "/api/v1"
			ws := sim.Workspace()
			fmt.Fprintf(io.Out, "Secoda simulator: %s workspace (seed %d, %d entities, %d catalog resources; %s) at %s\n",
				ws.Size(), seed, ws.Total(), ws.CatalogSize(), capSummary(catalogCap, capMode, capLists), base)
			fmt.Fprintf(io.Out, "  export SECODA_API_URL=%s\n", base)
			if generated {
				fmt.Fprintf(io.Out, "  export SECODA_API_KEY=%s   # generated for this run; choose one with --api-key\n", apiKey)
			} else {
				fmt.Fprintln(io.Out, "  accepting the key given with --api-key")
			}
			fmt.Fprintf(io.Out, "  curl -H \"Authorization: Bearer $SECODA_API_KEY\" %s/resource/catalog/\n", base)
			fmt.Fprintln(io.Out, "Press Ctrl-C to stop.")
			srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
			return httpserve.Serve(cmd.Context(), srv, ln)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8787", "loopback address to listen on (port 0 picks a free one)")
	fl.StringVar(&apiKey, "api-key", "", "the key to accept (default: a generated one, printed)")
	fl.StringVar(&size, "size", "small", "workspace size: small (hundreds), medium (tens of thousands), large (a million catalog entries)")
	fl.Uint64Var(&seed, "seed", 1, "seed of the generated workspace")
	fl.IntVar(&rateLimit, "rate-limit", 0, "requests per minute before answering 429 (0: no limit)")
	fl.StringVar(&retryAfter, "retry-after", "seconds", "how a 429 says when to retry: seconds, date, zero or none")
	fl.StringVar(&faults, "faults", "", "faults to inject (see above)")
	fl.IntVar(&pageSize, "page-size", simulator.DefaultPageSize, "records per page")
	fl.IntVar(&catalogCap, "catalog-cap", simulator.DefaultCatalogCap, "resources the catalog returns across pages (-1: no cap)")
	fl.StringVar(&capMode, "cap-mode", string(simulator.CapCount), "what a capped envelope says past the cap: count, total or hidden")
	fl.BoolVar(&capLists, "cap-lists", false, "cap table/tables, table/columns, dashboard/charts and resource/all like the catalog")
	fl.BoolVar(&verbose, "verbose", false, "log each request to stderr")
	return cmd
}

// capSummary is the start-up line's account of the cap.
func capSummary(catalogCap int, mode string, lists bool) string {
	if catalogCap < 0 {
		return "no catalog cap"
	}
	if catalogCap == 0 {
		catalogCap = simulator.DefaultCatalogCap
	}
	s := fmt.Sprintf("catalog capped at %d, cap mode %s", catalogCap, mode)
	if lists {
		s += ", per-type lists capped too"
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
