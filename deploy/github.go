package deploy

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
)

// GitHub's limits on a scheduled workflow.
const (
	githubMinInterval = 5 * time.Minute
	githubMaxTimeout  = 6 * time.Hour // a GitHub-hosted runner's job
)

// The actions the workflow uses, at the newest major release actionlint knows.
const (
	actionCheckout    = "actions/checkout@v6"
	actionSetupGo     = "actions/setup-go@v6"
	actionCache       = "actions/cache@v5"
	actionRestore     = "actions/cache/restore@v5"
	actionSave        = "actions/cache/save@v5"
	actionUpload      = "actions/upload-artifact@v7"
	actionAWS         = "aws-actions/configure-aws-credentials@v6"
	actionGoogleCloud = "google-github-actions/auth@v3"
)

// repoRoot is the git repository the project is in (the nearest folder up with a
// .git), and the project's path inside it; the project itself when it is in none.
func repoRoot(dir string) (root, rel string, found bool) {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			r, err := filepath.Rel(d, dir)
			if err != nil {
				return dir, ".", false
			}
			return d, filepath.ToSlash(r), true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir, ".", false
		}
		d = parent
	}
}

// WorkflowPath is where a workflow of that name lives in the repository.
func WorkflowPath(name string) string { return ".github/workflows/" + name + ".yml" }

func (b *builder) github(d *Deployment) error {
	if gap := b.o.Schedule.MinInterval(); gap < githubMinInterval {
		return flagErrorf("--schedule %q runs every %s at times, and GitHub runs a scheduled workflow at most every 5 minutes: give a sparser schedule",
			b.o.Schedule, gap)
	}
	if b.timeout > githubMaxTimeout {
		return flagErrorf("--timeout %s: a GitHub-hosted runner stops a job after 6 hours; give at most 6h", b.timeout)
	}
	root, rel, inRepo := repoRoot(b.plan.Dir)
	d.Root = root
	file := WorkflowPath(b.name)
	owner := "./"
	if rel != "." {
		owner += rel
	}
	d.Edits = []changeset.Edit{{Path: file, What: "the scheduled workflow", Compute: managed(b.workflow(rel), 0, owner)}}

	var steps []string
	if !inRepo {
		steps = append(steps, fmt.Sprintf("This folder is not in a git repository: GitHub reads workflows from the root of one. `git init` here (or move %s to the root of your repository, and run deploy again there).", file))
	}
	steps = append(steps, "Commit and push "+file+" to the default branch: GitHub runs schedules from there only.")
	var set []string
	for _, s := range b.secrets {
		set = append(set, fmt.Sprintf("`gh secret set %s` (%s; it asks for the value and does not echo it)", s.Env, s.What))
	}
	c := chain(b.plan)
	if c != nil {
		for _, env := range c.envSecrets {
			set = append(set, fmt.Sprintf("`gh secret set %s` (the bucket's credential chain)", env))
		}
	}
	steps = append(steps, "Set the repository's secrets: "+strings.Join(set, "; ")+".")
	if c != nil && c.federated {
		switch c.scheme {
		case bucket.S3:
			steps = append(steps, "Let the workflow assume an AWS role through OpenID Connect: create the role (trusting token.actions.githubusercontent.com for this repository) "+
				"with access to "+b.plan.Bucket.Location.String()+", then `gh variable set AWS_ROLE_ARN --body arn:aws:iam::ACCOUNT:role/ROLE`"+
				b.awsRegionStep()+". (A static key instead: set aws_access_key_id in [destination], run deploy again, and `gh secret set SECODA_DESTINATION_PASSWORD` with its secret key.)")
		case bucket.GCS:
			steps = append(steps, "Let the workflow act as a Google service account through Workload Identity Federation: create a pool and provider for GitHub, "+
				"grant the service account access to "+b.plan.Bucket.Location.String()+", then `gh variable set GCP_WORKLOAD_IDENTITY_PROVIDER --body projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER` "+
				"and `gh variable set GCP_SERVICE_ACCOUNT --body NAME@PROJECT.iam.gserviceaccount.com`. (A key file instead: `gh secret set GCP_CREDENTIALS < key.json` and give the auth step credentials_json: ${{ secrets.GCP_CREDENTIALS }}.)")
		}
	}
	first := ""
	if t := b.firstRunText(); t != "" {
		first = " The first scheduled run is due " + t + " (GitHub's cron is UTC, and a busy GitHub may start it some minutes late)."
	}
	steps = append(steps,
		fmt.Sprintf("Run it once now: `gh workflow run %s.yml`, then `gh run watch` (or the Actions tab).%s Each run's traces are an artifact: `gh run download RUN_ID -n %s-traces`.",
			b.name, first, b.name),
		"GitHub disables the schedules of a public repository with no activity for 60 days: `gh workflow enable "+b.name+".yml` turns it back on.",
		b.monitorStep())
	d.Next = steps
	return nil
}

func (b *builder) awsRegionStep() string {
	if b.plan.Bucket.Region != "" {
		return ""
	}
	return " and `gh variable set AWS_REGION --body REGION` (the bucket's region: [destination] sets none)"
}

// workflow is the workflow's text, for a project at rel in its repository.
func (b *builder) workflow(rel string) string {
	p := b.plan
	in := func(file string) string { // a path from the repository's root
		if rel == "." {
			return file
		}
		return path.Join(rel, file)
	}
	work := in(pipeline.WorkDirName)
	c := chain(p)
	oidc := c != nil && c.federated
	var w strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }

	line("# Runs the Secoda pipeline %s of %s on a schedule: written by `secoda-workbench deploy github-actions`.", p.PipelineName, in(pipeline.ConfigFileName))
	line("# It holds no secret: the run reads them from the repository's secrets, by name.")
	line("name: %s", yamlString("secoda-workbench: "+p.PipelineName))
	line("")
	line("on:")
	line("  schedule:")
	line("    # %s, in UTC (GitHub's cron knows no other time zone)", b.scheduleText())
	line("    - cron: %s", yamlString(b.o.Schedule.Cron()))
	line("  workflow_dispatch:")
	line("")
	line("permissions:")
	line("  contents: read")
	if oidc {
		line("  id-token: write # OpenID Connect, to log in to the bucket's cloud without a stored key")
	}
	line("")
	line("# One run at a time: a run due while one is loading waits for it, never overlaps it.")
	line("concurrency:")
	line("  group: %s", b.name)
	line("  cancel-in-progress: false")
	line("")
	line("jobs:")
	line("  load:")
	line("    runs-on: ubuntu-latest")
	line("    timeout-minutes: %d", int(b.timeout.Minutes()))
	if rel != "." {
		line("    defaults:")
		line("      run:")
		line("        working-directory: %s", yamlString(rel))
	}
	line("    steps:")
	line("      - uses: %s", actionCheckout)
	line("        with:")
	line("          persist-credentials: false")
	line("      - uses: %s", actionSetupGo)
	line("        with:")
	line("          go-version: %s", yamlString(goMinor()))
	line("          cache: false")
	if b.version != latest {
		line("      - name: %s", yamlString("Cache the secoda-workbench binary"))
		line("        id: binary")
		line("        uses: %s", actionCache)
		line("        with:")
		line("          path: ~/go/bin/secoda-workbench")
		line("          key: %s", yamlString("secoda-workbench-"+b.version+"-${{ runner.os }}-${{ runner.arch }}"))
	}
	line("      - name: %s", yamlString("Install secoda-workbench "+b.version))
	if b.version != latest {
		line("        if: steps.binary.outputs.cache-hit != 'true'")
	}
	line("        env:")
	line("          CGO_ENABLED: \"1\" # DuckDB is C++: ubuntu-latest has the compilers")
	line("          GOTOOLCHAIN: auto # a newer Go, if the release needs one")
	line("        run: go install %s@%s", ModulePath, b.version)
	line("      - name: %s", yamlString("Restore the work folder (an interrupted run's data, the traces)"))
	line("        uses: %s", actionRestore)
	line("        with:")
	b.cachePaths(line, work)
	line("          key: %s", yamlString(b.name+"-work-${{ github.run_id }}-${{ github.run_attempt }}"))
	line("          restore-keys: %s", yamlString(b.name+"-work-"))
	if oidc {
		switch c.scheme {
		case bucket.S3:
			region := p.Bucket.Region
			if region == "" {
				region = "${{ vars.AWS_REGION }}"
			}
			line("      - name: %s", yamlString("AWS credentials (OpenID Connect)"))
			line("        uses: %s", actionAWS)
			line("        with:")
			line("          role-to-assume: ${{ vars.AWS_ROLE_ARN }}")
			line("          aws-region: %s", yamlString(region))
		case bucket.GCS:
			line("      - name: %s", yamlString("Google Cloud credentials (Workload Identity Federation)"))
			line("        uses: %s", actionGoogleCloud)
			line("        with:")
			line("          workload_identity_provider: ${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}")
			line("          service_account: ${{ vars.GCP_SERVICE_ACCOUNT }}")
		}
	}
	line("      - name: %s", yamlString("Load"))
	line("        # Exit status: 0 loaded (or nothing new), 1 failed, 2 bad usage, 3 loaded but incomplete,")
	line("        # 4 the key rejected or missing, 5 in use: all but 0 fail the job.")
	line("        env:")
	for _, s := range b.secrets {
		line("          %s: ${{ secrets.%s }}", s.Env, s.Env)
	}
	if c != nil {
		for _, env := range c.envSecrets {
			line("          %s: ${{ secrets.%s }}", env, env)
		}
	}
	line("        run: secoda-workbench %s", strings.Join(runArgs, " "))
	line("      - name: %s", yamlString("Save the work folder"))
	line("        if: always()")
	line("        uses: %s", actionSave)
	line("        with:")
	b.cachePaths(line, work)
	line("          key: %s", yamlString(b.name+"-work-${{ github.run_id }}-${{ github.run_attempt }}"))
	line("      - name: %s", yamlString("Upload the run's traces (redacted: no secret is in them)"))
	line("        if: always()")
	line("        uses: %s", actionUpload)
	line("        with:")
	line("          name: %s", yamlString(b.name+"-traces"))
	line("          path: %s", yamlString(work+"/"+pipeline.TracesDirName+"/"))
	line("          include-hidden-files: true")
	line("          if-no-files-found: ignore")
	line("          retention-days: 30")
	return w.String()
}

// cachePaths are the work folder without the bucket dataset's local copy, which is
// large and read again from the bucket.
func (b *builder) cachePaths(line func(string, ...any), work string) {
	line("          path: |")
	line("            %s", work)
	line("            !%s/%s", work, pipeline.CacheDirName)
}
