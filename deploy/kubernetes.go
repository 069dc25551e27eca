package deploy

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
)

// KubernetesDir is where the manifest and the Dockerfile are written in the project.
const KubernetesDir = "deploy/kubernetes"

// The pod: a user of the image's own, its work folder on an emptyDir.
const (
	podUID  = 10001
	workDir = "/work"
	// startingDeadline is how late a run may start (the controller down, the
	// cluster full) before it is skipped until the next.
	startingDeadline = 600
)

func (b *builder) image() string {
	if b.o.Image != "" {
		return b.o.Image
	}
	return "secoda-workbench:" + b.version
}

// SecretName is the Kubernetes Secret the CronJob reads its secrets from.
func (b *builder) secretName() string { return b.name + "-secrets" }

func (b *builder) kubernetes(d *Deployment) error {
	if strings.ContainsAny(b.image(), " \t\n\"'\\") {
		return flagErrorf("--image %q: give an image reference, e.g. registry.example.com/secoda-workbench:v1.2.3", b.image())
	}
	manifest := KubernetesDir + "/" + b.name + ".yaml"
	dockerfile := KubernetesDir + "/Dockerfile"
	d.Edits = []changeset.Edit{
		{Path: manifest, What: "the ConfigMap of the config, and the CronJob", Compute: managed(b.manifest(), 0, "")},
		{Path: dockerfile, What: "the image: secoda-workbench " + b.version + " on Debian", Compute: managed(b.dockerfile(), 0, "")},
	}
	steps := []string{}
	if b.o.Image == "" {
		steps = append(steps, fmt.Sprintf("Build the image and push it where the cluster pulls from: `docker build -t REGISTRY/secoda-workbench:%s %s && docker push REGISTRY/secoda-workbench:%s`, "+
			"then run deploy again with `--image REGISTRY/secoda-workbench:%s` (the manifest names %s, which only a cluster that has it loaded finds).",
			b.version, KubernetesDir, b.version, b.version, b.image()))
	} else {
		steps = append(steps, fmt.Sprintf("Build and push the image the CronJob runs: `docker build -t %s %s && docker push %s`.", b.image(), KubernetesDir, b.image()))
	}
	keys := []string{}
	for _, s := range b.secrets {
		keys = append(keys, fmt.Sprintf("`cat > \"$d/%s\"` (%s)", s.Env, s.What))
	}
	c := chain(b.plan)
	if c != nil {
		for _, env := range c.envSecrets {
			keys = append(keys, fmt.Sprintf("`cat > \"$d/%s\"` (the bucket's credential chain%s)", env, map[bool]string{true: "; leave it out where the pod has a cloud identity", false: ""}[c.scheme == bucket.S3]))
		}
	}
	steps = append(steps, fmt.Sprintf("Create the Secret %s, one key a secret, in the namespace you apply to: `d=$(mktemp -d)`, then %s (paste each value, Enter, Ctrl-D), "+
		"then `kubectl create secret generic %s --from-file=\"$d\" && rm -r \"$d\"`. No value goes in the manifest or your shell's history.",
		b.secretName(), strings.Join(keys, ", "), b.secretName()))
	if c != nil && c.federated {
		switch c.scheme {
		case bucket.S3:
			steps = append(steps, "The bucket uses the AWS credential chain: give the pod an identity (EKS Pod Identity or IRSA: annotate a ServiceAccount and set serviceAccountName), "+
				"or add AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the Secret: the CronJob reads them when they are there.")
		case bucket.GCS:
			steps = append(steps, "The bucket uses Google's application default credentials: give the pod a service account through GKE Workload Identity "+
				"(a ServiceAccount annotated with iam.gke.io/gcp-service-account, set as serviceAccountName in the CronJob).")
		}
	}
	steps = append(steps,
		fmt.Sprintf("Apply it: `kubectl apply -f %s`. Run it once now: `kubectl create job --from=cronjob/%s %s-manual` and `kubectl logs -f job/%s-manual`; "+
			"`kubectl get cronjob %s` shows the last schedule and the last success (the schedule is UTC: timeZone Etc/UTC).",
			manifest, b.name, b.name, b.name, b.name),
		"The work folder is an emptyDir: an interrupted run starts over and the traces go with the pod (its log keeps the events). Mount a PersistentVolumeClaim at "+workDir+"/"+pipeline.WorkDirName+" to keep them.",
		b.monitorStep())
	d.Next = steps
	return nil
}

func (b *builder) manifest() string {
	p := b.plan
	var w strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	labels := func(indent string) {
		line("%slabels:", indent)
		line("%s  app.kubernetes.io/name: secoda-workbench", indent)
		line("%s  app.kubernetes.io/instance: %s", indent, b.name)
	}
	config := b.name + "-config"
	line("# The Secoda pipeline %s on a schedule: written by `secoda-workbench deploy kubernetes`.", p.PipelineName)
	line("# The secrets come from the Secret %s (kubectl create secret generic), never from here.", b.secretName())
	line("apiVersion: v1")
	line("kind: ConfigMap")
	line("metadata:")
	line("  name: %s", config)
	labels("  ")
	line("data:")
	line("  %s: %s", pipeline.ConfigFileName, yamlBlock(string(b.config), "    "))
	line("---")
	line("apiVersion: batch/v1")
	line("kind: CronJob")
	line("metadata:")
	line("  name: %s", b.name)
	labels("  ")
	line("spec:")
	if b.o.Schedule.Cron() != b.o.Schedule.String() {
		line("  # %s", b.scheduleText())
	}
	line("  schedule: %s", yamlString(b.o.Schedule.Cron()))
	line("  timeZone: Etc/UTC")
	line("  concurrencyPolicy: Forbid # a run due while one is loading is skipped, never overlaps it")
	line("  startingDeadlineSeconds: %d", startingDeadline)
	line("  successfulJobsHistoryLimit: 3")
	line("  failedJobsHistoryLimit: 3")
	line("  jobTemplate:")
	line("    metadata:")
	labels("      ")
	line("    spec:")
	line("      activeDeadlineSeconds: %d", int(b.timeout.Seconds()))
	line("      # A run that failed (exit 1) or found the pipeline in use (5) is tried again, twice; bad usage (2),")
	line("      # an incomplete load (3) and a rejected key (4) would fail again: the Job fails at once.")
	line("      backoffLimit: 2")
	line("      podFailurePolicy:")
	line("        rules:")
	line("          - action: FailJob")
	line("            onExitCodes:")
	line("              containerName: secoda-workbench")
	line("              operator: In")
	line("              values: [2, 3, 4]")
	line("          - action: Ignore # evicted or preempted: not the run's failure")
	line("            onPodConditions:")
	line("              - type: DisruptionTarget")
	line("      template:")
	line("        metadata:")
	labels("          ")
	line("        spec:")
	line("          restartPolicy: Never")
	line("          automountServiceAccountToken: false")
	line("          securityContext:")
	line("            runAsNonRoot: true")
	line("            runAsUser: %d", podUID)
	line("            runAsGroup: %d", podUID)
	line("            fsGroup: %d", podUID)
	line("            seccompProfile:")
	line("              type: RuntimeDefault")
	line("          containers:")
	line("            - name: secoda-workbench")
	line("              image: %s", yamlString(b.image()))
	line("              imagePullPolicy: IfNotPresent")
	line("              args: [%s]", strings.Join(quoteAll(runArgs), ", "))
	line("              workingDir: %s", workDir)
	line("              env:")
	for _, s := range b.secrets {
		b.secretEnv(line, s.Env, false)
	}
	if c := chain(p); c != nil {
		for _, env := range c.envSecrets {
			b.secretEnv(line, env, c.scheme == bucket.S3) // an S3 store's key may come from the pod's identity instead
		}
		if c.federated && c.scheme == bucket.S3 {
			b.secretEnv(line, "AWS_ACCESS_KEY_ID", true)
			b.secretEnv(line, "AWS_SECRET_ACCESS_KEY", true)
		}
	}
	line("                - name: HOME")
	line("                  value: %s", workDir)
	line("              resources:")
	line("                requests:")
	line("                  cpu: 250m")
	line("                  memory: 512Mi")
	line("                limits:")
	line("                  cpu: \"2\"")
	line("                  memory: 2Gi")
	line("              securityContext:")
	line("                allowPrivilegeEscalation: false")
	line("                readOnlyRootFilesystem: true")
	line("                capabilities:")
	line("                  drop: [ALL]")
	line("              volumeMounts:")
	line("                - name: work")
	line("                  mountPath: %s", workDir)
	line("                - name: config")
	line("                  mountPath: %s/%s", workDir, pipeline.ConfigFileName)
	line("                  subPath: %s", pipeline.ConfigFileName)
	line("                  readOnly: true")
	line("                - name: tmp")
	line("                  mountPath: /tmp")
	line("          volumes:")
	line("            - name: work # the work folder: load packages, the lock, the traces")
	line("              emptyDir:")
	line("                sizeLimit: 4Gi")
	line("            - name: config")
	line("              configMap:")
	line("                name: %s", config)
	line("            - name: tmp")
	line("              emptyDir:")
	line("                sizeLimit: 1Gi")
	return w.String()
}

func (b *builder) secretEnv(line func(string, ...any), env string, optional bool) {
	line("                - name: %s", env)
	line("                  valueFrom:")
	line("                    secretKeyRef:")
	line("                      name: %s", b.secretName())
	line("                      key: %s", env)
	if optional {
		line("                      optional: true")
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = yamlString(s)
	}
	return out
}

// yamlBlock writes text as a YAML literal block at indent, keeping every byte, or as a
// double-quoted string when a block cannot hold it as it is (a tab or space first, a
// carriage return, a control character).
func yamlBlock(text, indent string) string {
	clean := utf8.ValidString(text) && text != "" && !strings.HasPrefix(text, " ") && !strings.HasPrefix(text, "\t") && !strings.HasPrefix(text, "\n")
	for _, r := range text {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r == 0x85 || r == 0xfeff || r == 0x2028 || r == 0x2029) {
			clean = false
		}
	}
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			clean = false // kept by a block, but editors and linters strip it
		}
	}
	if !clean {
		return yamlString(text)
	}
	chomp := "|" // one final newline
	switch {
	case !strings.HasSuffix(text, "\n"):
		chomp = "|-"
	case strings.HasSuffix(text, "\n\n"):
		chomp = "|+"
	}
	var w strings.Builder
	w.WriteString(chomp)
	for _, l := range strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n") {
		l = strings.TrimSuffix(l, "\n")
		w.WriteString("\n")
		if l != "" {
			w.WriteString(indent + l)
		}
	}
	return w.String()
}

func (b *builder) dockerfile() string {
	var w strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	line("# The image the CronJob %s runs: written by `secoda-workbench deploy kubernetes`.", b.name)
	line("# secoda-workbench %s, built with cgo (DuckDB is C++) on the same Debian it runs on.", b.version)
	line("#   docker build -t REGISTRY/secoda-workbench:%s %s", b.version, KubernetesDir)
	line("ARG GO_VERSION=%s", goMinor())
	line("FROM golang:${GO_VERSION}-bookworm AS build")
	line("ARG SECODA_WORKBENCH_VERSION=%s", b.version)
	line("# The golang image pins its Go (GOTOOLCHAIN=local): auto fetches a newer one if the release needs it.")
	line("ENV CGO_ENABLED=1 GOTOOLCHAIN=auto")
	line("RUN go install %s@${SECODA_WORKBENCH_VERSION}", ModulePath)
	line("")
	line("FROM debian:bookworm-slim")
	line("RUN apt-get update \\")
	line(" && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \\")
	line(" && rm -rf /var/lib/apt/lists/* \\")
	line(" && groupadd --system --gid %d secoda-workbench \\", podUID)
	line(" && useradd --system --uid %d --gid %d --home-dir %s --no-create-home --shell /usr/sbin/nologin secoda-workbench", podUID, podUID, workDir)
	line("COPY --from=build /go/bin/secoda-workbench /usr/local/bin/secoda-workbench")
	line("WORKDIR %s", workDir)
	line("USER %d:%d", podUID, podUID)
	line("ENTRYPOINT [\"/usr/local/bin/secoda-workbench\"]")
	line("CMD [%s]", strings.Join(quoteAll(runArgs), ", "))
	return w.String()
}
