package deploy

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// decodeManifest decodes the manifest's two documents strictly with the Kubernetes API
// types: a field the API does not have, or a value of the wrong type, fails.
func decodeManifest(t *testing.T, manifest string) (*corev1.ConfigMap, *batchv1.CronJob) {
	t.Helper()
	docs := strings.Split(manifest, "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2 (the ConfigMap, the CronJob):\n%s", len(docs), manifest)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatalf("the ConfigMap: %v\n%s", err, docs[0])
	}
	var cj batchv1.CronJob
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &cj); err != nil {
		t.Fatalf("the CronJob: %v\n%s", err, docs[1])
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cj.APIVersion != "batch/v1" || cj.Kind != "CronJob" {
		t.Fatalf("kinds: %s %s, %s %s", cm.APIVersion, cm.Kind, cj.APIVersion, cj.Kind)
	}
	return &cm, &cj
}

// TestKubernetesManifest: the manifest decodes strictly as a ConfigMap and a CronJob
// that runs one pod at a time on the schedule, as a non-root user on a read-only root,
// with the secrets from the Secret by name, and the config that parses back to the plan.
func TestKubernetesManifest(t *testing.T) {
	for _, tt := range []struct{ destination, schedule string }{
		{"postgres (notified)", DefaultSchedule},
		{"s3", "30 2 * * mon-fri"},
		{"s3 compatible", "@daily"},
		{"azure connection", "15 3 1,15 * 1"},
		{"gcs", "0 4 * * 7"},
	} {
		t.Run(tt.destination, func(t *testing.T) {
			plan := planOf(t, tt.destination)
			sched := mustSchedule(t, tt.schedule)
			d := deployment(t, plan, Options{Target: Kubernetes, Version: "v1.2.3", Image: "registry.example.com/secoda-workbench:v1.2.3", Schedule: sched})
			f := files(t, d)
			cm, cj := decodeManifest(t, f[KubernetesDir+"/"+d.Name+".yaml"])

			back, err := pipeline.ParseConfig(plan.File, []byte(cm.Data[pipeline.ConfigFileName]))
			if err != nil {
				t.Fatalf("the ConfigMap's config: %v", err)
			}
			back.Notify = plan.Notify // [notify] is read by the config's own code, not checked here
			if !reflect.DeepEqual(back, plan) {
				t.Errorf("the ConfigMap's config reads as another plan:\n%+v\nwant\n%+v", back, plan)
			}

			s := cj.Spec
			if s.Schedule != sched.Cron() || s.TimeZone == nil || *s.TimeZone != "Etc/UTC" || s.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				t.Errorf("schedule %q, time zone %v, concurrency %q", s.Schedule, s.TimeZone, s.ConcurrencyPolicy)
			}
			if s.StartingDeadlineSeconds == nil || s.SuccessfulJobsHistoryLimit == nil || s.FailedJobsHistoryLimit == nil {
				t.Error("no starting deadline or history limits")
			}
			job := s.JobTemplate.Spec
			if job.BackoffLimit == nil || job.ActiveDeadlineSeconds == nil || *job.ActiveDeadlineSeconds != int64(DefaultTimeout.Seconds()) {
				t.Errorf("backoffLimit %v, activeDeadlineSeconds %v", job.BackoffLimit, job.ActiveDeadlineSeconds)
			}
			if job.PodFailurePolicy == nil || !reflect.DeepEqual(job.PodFailurePolicy.Rules[0].OnExitCodes.Values, []int32{2, 3, 4}) {
				t.Errorf("the pod failure policy does not fail the Job at once on 2, 3 and 4: %+v", job.PodFailurePolicy)
			}
			pod := job.Template.Spec
			if pod.RestartPolicy != corev1.RestartPolicyNever || pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
				pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == 0 {
				t.Errorf("the pod: restart %q, security %+v", pod.RestartPolicy, pod.SecurityContext)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers", len(pod.Containers))
			}
			c := pod.Containers[0]
			if c.Image != "registry.example.com/secoda-workbench:v1.2.3" || strings.Join(c.Args, " ") != "run --log-format json" || c.WorkingDir != workDir {
				t.Errorf("the container runs %s %v in %s", c.Image, c.Args, c.WorkingDir)
			}
			sc := c.SecurityContext
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("the container's security context: %+v", sc)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("resources: %+v", c.Resources)
			}
			env := map[string]*corev1.EnvVar{}
			for i := range c.Env {
				env[c.Env[i].Name] = &c.Env[i]
			}
			for _, sec := range neededSecrets(plan) {
				e := env[sec.Env]
				if e == nil || e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
					e.ValueFrom.SecretKeyRef.Name != d.Name+"-secrets" || e.ValueFrom.SecretKeyRef.Key != sec.Env {
					t.Errorf("%s is not taken from the Secret %s-secrets: %+v", sec.Env, d.Name, e)
				}
			}
			if ch := chain(plan); ch != nil {
				for _, name := range ch.envSecrets {
					if e := env[name]; e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						t.Errorf("%s, the bucket's chain, is not taken from the Secret", name)
					}
				}
			}
			// The root is read-only: the work folder and /tmp are emptyDirs, the config a file of the ConfigMap.
			volumes := map[string]corev1.Volume{}
			for _, v := range pod.Volumes {
				volumes[v.Name] = v
			}
			mounts := map[string]corev1.VolumeMount{}
			for _, m := range c.VolumeMounts {
				mounts[m.MountPath] = m
			}
			if m, ok := mounts[workDir]; !ok || volumes[m.Name].EmptyDir == nil {
				t.Errorf("the work folder %s is not an emptyDir: %+v", workDir, m)
			}
			if m, ok := mounts[workDir+"/"+pipeline.ConfigFileName]; !ok || volumes[m.Name].ConfigMap == nil || volumes[m.Name].ConfigMap.Name != cm.Name ||
				m.SubPath != pipeline.ConfigFileName || !m.ReadOnly {
				t.Errorf("the config is not the ConfigMap's: %+v", m)
			}
			if m, ok := mounts["/tmp"]; !ok || volumes[m.Name].EmptyDir == nil {
				t.Error("/tmp is not an emptyDir")
			}

			df := f[KubernetesDir+"/Dockerfile"]
			for _, want := range []string{
				"FROM golang:${GO_VERSION}-bookworm AS build\n", "ARG SECODA_WORKBENCH_VERSION=v1.2.3\n", "ENV CGO_ENABLED=1",
				"RUN go install " + ModulePath + "@${SECODA_WORKBENCH_VERSION}\n", "FROM debian:bookworm-slim\n", "ca-certificates",
				"USER " + strconv.Itoa(int(*pod.SecurityContext.RunAsUser)) + ":", `ENTRYPOINT ["/usr/local/bin/secoda-workbench"]`,
			} {
				if !strings.Contains(df, want) {
					t.Errorf("the Dockerfile lacks %q:\n%s", want, df)
				}
			}
		})
	}
}

// TestConfigBlocks: a config reaches the ConfigMap byte for byte, whatever its ends,
// indents and characters.
func TestConfigBlocks(t *testing.T) {
	for _, text := range []string{
		"[pipeline]\nname = \"a\"\n",
		"[pipeline]\nname = \"a\"",
		"[pipeline]\nname = \"a\"\n\n\n",
		"  [pipeline]\n  name = \"a\"\n",
		"\tname = 'a'\n",
		"# trailing space \nname = 1\n",
		"name = \"a\"\r\nb = 2\r\n",
		"\ufeffname = \"é — ✓\"\n",
		"---\n...\n# a: b\nx = \"- [ ] {}: #\"\n",
		"a = \"\u2028\"\n",
		"\n\nname = 1\n",
	} {
		doc := "data:\n  f: " + yamlBlock(text, "    ") + "\n"
		var cm corev1.ConfigMap
		if err := yaml.UnmarshalStrict([]byte(doc), &cm); err != nil {
			t.Errorf("%q: %v\n%s", text, err, doc)
			continue
		}
		if cm.Data["f"] != text {
			t.Errorf("%q came back as %q:\n%s", text, cm.Data["f"], doc)
		}
	}
}

// TestStrictDecodingFails: the decoding the manifest passes does refuse a field the
// API does not have, or a value of the wrong type.
func TestStrictDecodingFails(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: batch/v1\nkind: CronJob\nspec:\n  schedule: \"0 * * * *\"\n  concurencyPolicy: Forbid\n",
		"apiVersion: batch/v1\nkind: CronJob\nspec:\n  startingDeadlineSeconds: soon\n",
	} {
		var cj batchv1.CronJob
		if err := yaml.UnmarshalStrict([]byte(doc), &cj); err == nil {
			t.Errorf("decoded strictly:\n%s", doc)
		}
	}
}
