package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

func newSecretsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Keep the Secoda API key (and a PostgreSQL destination's password) in the OS keyring: set, status, delete",
		Long: "The API key reads your whole workspace. `secrets set` stores it in the OS keyring (macOS Keychain,\n" +
			"Windows Credential Manager, the Secret Service on Linux), keyed by the API host; the pipeline finds it\n" +
			"there. SECODA_API_KEY, when set, wins. The key is never taken as an argument and never printed.\n" +
			"With --destination the same commands keep a PostgreSQL destination's password, keyed by its URL;\n" +
			"SECODA_DESTINATION_PASSWORD, when set, wins. With --notify, the [notify] webhook's URL, keyed by the pipeline;\n" +
			"SECODA_NOTIFY_URL, when set, wins. Each variable may instead name a file: SECODA_API_KEY_FILE and so on.",
	}
	cmd.AddCommand(newSecretsSetCmd(a), newSecretsStatusCmd(a), newSecretsDeleteCmd(a))
	return cmd
}

// secretsBase is the API a secrets command is about: --base-url, else SECODA_API_URL,
// else the project's base_url, else Secoda's US cloud.
func (a *app) secretsBase(flag string) (string, error) {
	if flag != "" {
		return secoda.NormalizeBaseURL(flag)
	}
	configured := ""
	if plan, err := pipeline.LoadConfig(pipeline.ConfigFileName); err == nil {
		configured = plan.BaseURL
	}
	base, _, err := secoda.ResolveBaseURL(configured, a.getenv)
	return base, err
}

func newSecretsSetCmd(a *app) *cobra.Command {
	var (
		baseFlag                                 string
		noVerify, insecure, fromDlt, destination bool
		notifyURL                                bool
	)
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Store the API key (prompted for, or read from stdin) in the OS keyring",
		Long: "Store the Secoda API key for the API host in the OS keyring. On a terminal it prompts without echoing;\n" +
			"piped, it reads standard input (printf %s \"$KEY\" | secoda-workbench secrets set). It is never an argument:\n" +
			"arguments are visible in `ps` and in shell history. The key is checked against Secoda first (--no-verify to skip).\n" +
			"--destination stores the PostgreSQL destination's password the same way, after logging in with it.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef(cmd, "the key is not taken as an argument (it would be visible in `ps` and your shell history): run `secoda-workbench secrets set` and paste it at the prompt, or pipe it on stdin")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if notifyURL {
				if fromDlt || insecure || baseFlag != "" || destination {
					return usagef(cmd, "--notify takes only --no-verify: the webhook's URL goes to the OS keyring, for the project's pipeline")
				}
				return a.setNotifyURL(ctx, noVerify)
			}
			if destination {
				if fromDlt || insecure || baseFlag != "" {
					return usagef(cmd, "--destination takes only --no-verify: the password goes to the OS keyring, for the project's [destination] url")
				}
				return a.setDestinationPassword(ctx, noVerify)
			}
			base, err := a.secretsBase(baseFlag)
			if err != nil {
				return err
			}
			host := hostOf(base)
			var key string
			if fromDlt {
				if key, err = secrets.ReadDltKey(secrets.DltSecretsPath); errors.Is(err, secrets.ErrNotFound) {
					return fmt.Errorf("%s has no [sources.secoda_source] api_key to move", secrets.DltSecretsPath)
				} else if err != nil {
					return err
				}
			} else if key, err = a.readKey(host); err != nil {
				return err
			}
			a.redactor.Add(key)
			secret := secrets.NewSecret(key)
			if !noVerify {
				v := secrets.Verify(ctx, base, secret, nil)
				switch {
				case errors.Is(v.Err, secoda.ErrKeyRejected):
					return fmt.Errorf("%s rejected this key (HTTP %d); nothing was stored. Check that it belongs to the workspace at %s (EU: eu, APAC: apac with --base-url) and was not revoked", host, v.Status, host)
				case v.Err != nil:
					return fmt.Errorf("could not check the key with %s: %w; nothing was stored (pass --no-verify to store it unchecked)", host, v.Err)
				}
				fmt.Fprintf(a.io.ErrOut, "%s accepted the key (HTTP %d in %d ms).\n", host, v.Status, v.Latency.Milliseconds())
			}
			where, err := a.finder().Store(ctx, host, secret, insecure)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.io.Out, "Stored the API key for %s in %s (fingerprint %s).\n", host, where, secret.Fingerprint())
			if insecure {
				fmt.Fprintf(a.io.ErrOut, "warning: the key is in plain text in %s; anyone who can read that file can read your Secoda workspace\n", a.insecure)
			}
			if fromDlt {
				if err := secrets.BlankDltKey(secrets.DltSecretsPath); err != nil {
					return fmt.Errorf("the key is stored, but blanking it in %s failed: %w; remove it from the file by hand", secrets.DltSecretsPath, err)
				}
				fmt.Fprintf(a.io.Out, "Blanked api_key in %s; the rest of the file is unchanged.\n", secrets.DltSecretsPath)
			}
			if strings.TrimSpace(a.getenv(secoda.EnvAPIKey)) != "" {
				fmt.Fprintf(a.io.ErrOut, "note: %s is set in this shell and wins over the stored key; `unset %s` to use the stored one\n", secoda.EnvAPIKey, secoda.EnvAPIKey)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&baseFlag, "base-url", "", "the API the key is for: a region (us, eu, apac), your domain or a URL (default: the project's, or US)")
	fl.BoolVar(&noVerify, "no-verify", false, "store the key without checking it against Secoda")
	fl.BoolVar(&insecure, "insecure-storage", false, "store it in a plain-text file (mode 0600) instead of the keyring, for machines without one")
	fl.BoolVar(&fromDlt, "from-dlt", false, "move the key from .dlt/secrets.toml into the keyring, and blank it there")
	fl.BoolVar(&destination, "destination", false, "store the PostgreSQL destination's password (for [destination] url) instead of the API key")
	fl.BoolVar(&notifyURL, "notify", false, "store the [notify] webhook's URL (it sends a test message first) instead of the API key")
	return cmd
}

// maxKeyLen bounds what is read as a key: a pasted file is not a key.
const maxKeyLen = 1024

// readKey reads the key from a no-echo prompt on a terminal, or from piped stdin.
func (a *app) readKey(host string) (string, error) {
	raw, err := a.readSecret(fmt.Sprintf("Paste the Secoda API key for %s (Settings → API; it will not be shown): ", host))
	if err != nil {
		return "", fmt.Errorf("reading the key: %w", err)
	}
	key := strings.TrimSpace(raw)
	switch {
	case key == "":
		return "", errors.New("no key was given: paste it at the prompt, or pipe it on stdin (printf %s \"$KEY\" | secoda-workbench secrets set)")
	case len(key) > maxKeyLen:
		return "", fmt.Errorf("that is longer than %d characters, not an API key", maxKeyLen)
	case strings.IndexFunc(key, unicode.IsSpace) >= 0:
		return "", errors.New("the key has spaces or line breaks inside: paste the key alone")
	}
	return key, nil
}

// readSecret reads a secret from a no-echo prompt on a terminal, or from piped stdin
// (at most maxKeyLen+1 bytes).
func (a *app) readSecret(prompt string) (string, error) {
	if a.io.InTTY && a.io.ReadPassword != nil {
		fmt.Fprint(a.io.ErrOut, prompt)
		raw, err := a.io.ReadPassword()
		fmt.Fprintln(a.io.ErrOut)
		return string(raw), err
	}
	raw, err := io.ReadAll(io.LimitReader(bufio.NewReader(a.io.In), maxKeyLen+1))
	return string(raw), err
}

// passwordPlan is the project's plan, whose destination must take a secret kept by
// `secrets set --destination` (pipeline.TakesPassword).
func (a *app) passwordPlan() (*pipeline.Plan, error) {
	plan, err := a.loadPlan()
	if err != nil {
		return nil, err
	}
	if !pipeline.TakesPassword(plan) {
		if plan.IsBucket() {
			return nil, fmt.Errorf("the destination of %s is %s, which uses its cloud's credential chain: --destination keeps the secret of a static key, "+
				"so set aws_access_key_id (s3://) or account_name (az://) in [destination] first; Google Cloud Storage takes application default credentials only",
				pipeline.ConfigFileName, plan.DestinationLocation())
		}
		return nil, fmt.Errorf("the destination of %s is %s, which takes no password: --destination is for postgres and for buckets with a static key",
			pipeline.ConfigFileName, plan.DestinationType)
	}
	return plan, nil
}

// setDestinationPassword prompts for the destination's secret (PostgreSQL's password, a
// static key's secret), checks that it works (unless noVerify) and keeps it in the OS
// keyring.
func (a *app) setDestinationPassword(ctx context.Context, noVerify bool) error {
	plan, err := a.passwordPlan()
	if err != nil {
		return err
	}
	where := plan.DestinationLocation()
	name := pipeline.PasswordName(plan)
	raw, err := a.readSecret(fmt.Sprintf("%s for %s (it will not be shown): ", capitalize(strings.TrimPrefix(name, "the ")), where))
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	pw := strings.TrimRight(raw, "\r\n")
	switch {
	case pw == "":
		return fmt.Errorf("nothing was given: type %s at the prompt, or pipe it on stdin", name)
	case len(pw) > maxKeyLen:
		return fmt.Errorf("that is longer than %d characters, not a password or a key", maxKeyLen)
	}
	a.redactor.Add(pw)
	secret := secrets.NewSecret(pw)
	if !noVerify {
		if plan.IsBucket() {
			c := pipeline.CheckBucket(ctx, plan, pw)
			if c.Err != nil {
				return fmt.Errorf("%w; nothing was stored (pass --no-verify to store it unchecked)", c.Err)
			}
			fmt.Fprintf(a.io.ErrOut, "Wrote, read and deleted a test object in %s with %s.\n", where, c.Credentials)
		} else {
			if err := postgres.New(plan.DestinationURL, pw, plan.DatasetName).Ping(ctx); err != nil {
				return fmt.Errorf("%w; nothing was stored (pass --no-verify to store it unchecked)", err)
			}
			fmt.Fprintf(a.io.ErrOut, "Logged in to %s.\n", where)
		}
	}
	if err := a.finder().StorePassword(ctx, where, secret); err != nil {
		return err
	}
	fmt.Fprintf(a.io.Out, "Stored %s for %s in the OS keyring (fingerprint %s).\n", name, where, secret.Fingerprint())
	if a.getenv(secrets.EnvDestinationPassword) != "" {
		fmt.Fprintf(a.io.ErrOut, "note: %s is set in this shell and wins over the stored one\n", secrets.EnvDestinationPassword)
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// inspectDestination reports on the destination's credentials, when it has any:
// PostgreSQL's password, or a bucket's.
func (a *app) inspectDestination(ctx context.Context, verify bool) *secrets.PasswordReport {
	plan, err := a.loadPlan()
	if err != nil {
		return nil
	}
	if plan.IsBucket() {
		rep := pipeline.InspectBucket(ctx, plan, a.finder(), verify, a.redactor.Add)
		return &rep
	}
	if plan.DestinationType != dest.Postgres {
		return nil
	}
	var connect func(context.Context, secrets.Secret) error
	if verify {
		connect = func(ctx context.Context, pw secrets.Secret) error {
			a.redactor.Add(pw.Reveal())
			return postgres.New(plan.DestinationURL, pw.Reveal(), plan.DatasetName).Ping(ctx)
		}
	}
	rep := secrets.InspectPassword(ctx, a.finder(), plan.DestinationLocation(), connect)
	return &rep
}

func newSecretsStatusCmd(a *app) *cobra.Command {
	var (
		baseFlag         string
		asJSON, noVerify bool
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where the key is found, its fingerprint, and whether Secoda accepts it",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := a.secretsBase(baseFlag)
			if err != nil {
				return err
			}
			rep := secrets.Inspect(cmd.Context(), a.finder(), hostOf(base), base, !noVerify, nil)
			drep := a.inspectDestination(cmd.Context(), !noVerify)
			nrep := a.inspectNotify(cmd.Context())
			if asJSON {
				enc := json.NewEncoder(a.io.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					secrets.Report
					Destination *secrets.PasswordReport `json:"destination,omitempty"`
					Notify      *notifyReport           `json:"notify,omitempty"`
				}{rep, drep, nrep}); err != nil {
					return err
				}
			} else {
				writeSecretsStatus(a.io, rep)
				if drep != nil {
					writeDestinationStatus(a.io, drep)
				}
				if nrep != nil {
					writeNotifyStatus(a.io, nrep)
				}
			}
			if !rep.Found || (rep.Checked && !rep.Verified) || (drep != nil && drep.Checked && !drep.Connected) || (nrep != nil && nrep.Problem != "") {
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&baseFlag, "base-url", "", "the API to check the key of (default: the project's, or US)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "do not ask Secoda whether the key is accepted")
	return cmd
}

func writeSecretsStatus(io *ioStreams, rep secrets.Report) {
	if !rep.Found {
		fmt.Fprintf(io.Out, "No API key for %s.\n", rep.Host)
	} else {
		fmt.Fprintf(io.Out, "API key for %s: found in %s, fingerprint %s\n", rep.Host, rep.Where, rep.Fingerprint)
	}
	if rep.Checked {
		if rep.Verified {
			fmt.Fprintf(io.Out, "Secoda accepts it: HTTP %d in %d ms.\n", rep.Status, rep.LatencyMS)
		} else if rep.Status != 0 {
			fmt.Fprintf(io.Out, "Secoda refuses it: HTTP %d.\n", rep.Status)
		}
	}
	if rep.Problem != "" && rep.Found {
		fmt.Fprintln(io.Out, "Problem:", rep.Problem)
	}
	if rep.Keyring != "" {
		fmt.Fprintln(io.Out, "Keyring:", rep.Keyring)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(io.ErrOut, "warning:", w)
	}
	fmt.Fprintln(io.Out, "Next:", rep.NextStep)
}

func writeDestinationStatus(io *ioStreams, rep *secrets.PasswordReport) {
	if rep.Found {
		fmt.Fprintf(io.Out, "Password for %s: found in %s, fingerprint %s\n", rep.Destination, rep.Where, rep.Fingerprint)
	} else {
		fmt.Fprintf(io.Out, "No password kept for %s.\n", rep.Destination)
	}
	if rep.Credentials != "" {
		fmt.Fprintf(io.Out, "Credentials for %s: %s\n", rep.Destination, rep.Credentials)
	}
	switch {
	case rep.Connected && rep.Credentials != "":
		fmt.Fprintln(io.Out, "A test object was written, read and deleted.")
	case rep.Connected:
		fmt.Fprintln(io.Out, "PostgreSQL accepts the login.")
	case rep.Problem != "":
		fmt.Fprintln(io.Out, "Problem:", rep.Problem)
	}
	if rep.Keyring != "" {
		fmt.Fprintln(io.Out, "Keyring:", rep.Keyring)
	}
	fmt.Fprintln(io.Out, "Next:", rep.NextStep)
}

func newSecretsDeleteCmd(a *app) *cobra.Command {
	var (
		baseFlag    string
		destination bool
		notifyURL   bool
	)
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete the stored key for the API host",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if notifyURL {
				if destination || baseFlag != "" {
					return usagef(cmd, "--notify takes no other flag")
				}
				return a.deleteNotifyURL(cmd.Context())
			}
			if destination {
				plan, err := a.passwordPlan()
				if err != nil {
					return err
				}
				deleted, err := a.finder().DeletePassword(cmd.Context(), plan.DestinationLocation())
				if err != nil {
					return err
				}
				name := pipeline.PasswordName(plan)
				if deleted {
					fmt.Fprintf(a.io.Out, "Deleted %s for %s from the OS keyring.\n", name, plan.DestinationLocation())
				} else {
					fmt.Fprintf(a.io.Out, "No %s was stored for %s.\n", strings.TrimPrefix(name, "the "), plan.DestinationLocation())
				}
				return nil
			}
			base, err := a.secretsBase(baseFlag)
			if err != nil {
				return err
			}
			host := hostOf(base)
			removed, err := a.finder().Delete(cmd.Context(), host)
			if err != nil {
				return err
			}
			if len(removed) == 0 {
				fmt.Fprintf(a.io.Out, "No key was stored for %s.\n", host)
			} else {
				fmt.Fprintf(a.io.Out, "Deleted the key for %s from %s.\n", host, strings.Join(removed, " and "))
			}
			if strings.TrimSpace(a.getenv(secoda.EnvAPIKey)) != "" {
				fmt.Fprintf(a.io.ErrOut, "note: %s is still set in this shell\n", secoda.EnvAPIKey)
			}
			if _, err := os.Stat(secrets.DltSecretsPath); err == nil {
				if k, _ := secrets.ReadDltKey(secrets.DltSecretsPath); k != "" {
					fmt.Fprintf(a.io.ErrOut, "note: %s still holds a key in plain text\n", secrets.DltSecretsPath)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&baseFlag, "base-url", "", "the API whose key to delete (default: the project's, or US)")
	cmd.Flags().BoolVar(&destination, "destination", false, "delete the PostgreSQL destination's password instead")
	cmd.Flags().BoolVar(&notifyURL, "notify", false, "delete the [notify] webhook's URL instead")
	return cmd
}

// errSilent fails a command (exit 1) whose output already said why.
var errSilent = errors.New("")
