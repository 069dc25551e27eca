package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/secoda-workbench/secoda-workbench/internal/objtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// withBucketSection adds a bucket's keys (endpoint, key id, account) to the scaffolded
// [destination], as a user edits it.
func withBucketSection(t *testing.T, b objtest.Bucket) {
	t.Helper()
	cfg, _ := os.ReadFile(pipeline.ConfigFileName)
	s := strings.Replace(string(cfg), "bucket_url = \""+b.URL+"\"\n", b.Section, 1)
	if s == string(cfg) {
		t.Fatalf("the scaffold has no bucket_url line:\n%s", cfg)
	}
	os.WriteFile(pipeline.ConfigFileName, []byte(s), 0o644)
}

// TestBucketFromTheCommandLine goes the way a user goes to an S3 bucket with a static
// key: scaffold --bucket-url, a run refused for want of the key's secret, `secrets set
// --destination`, secrets status and validate naming the credentials and writing a test
// object, run, query, status, the dashboard; the secret appears in no output, and the
// bucket holds dlt's layout.
func TestBucketFromTheCommandLine(t *testing.T) {
	b := objtest.New(t, objtest.S3)
	inProject(t)
	ta := &testApp{store: &secretstest.MemStore{}, env: simEnv(t), insecure: filepath.Join(t.TempDir(), "insecure.toml")}
	var all strings.Builder
	run := ta.recording(t, &all)
	if code, out, errOut := run("scaffold", "--destination", "filesystem", "--bucket-url", b.URL); code != exitOK || !strings.Contains(out, "validate --check-connection") {
		t.Fatalf("scaffold: exit %d %s %s", code, out, errOut)
	}
	unpacedFile(t)
	withBucketSection(t, b)

	code, _, errOut := run("run")
	if code != exitFailure || !strings.Contains(errOut, "no secret is kept for the key "+b.AccessKey) || !strings.Contains(errOut, "secrets set --destination") {
		t.Fatalf("a run without the secret: exit %d, %s", code, errOut)
	}
	ta.stdin = "not-" + b.Password + "\n"
	if code, _, errOut := run("secrets", "set", "--destination"); code != exitFailure || !strings.Contains(errOut, "nothing was stored") {
		t.Fatalf("a wrong secret: exit %d, %s", code, errOut)
	}
	ta.stdin = b.Password + "\n"
	if code, out, errOut := run("secrets", "set", "--destination"); code != exitOK || !strings.Contains(out, "Stored the secret access key of "+b.AccessKey) ||
		!strings.Contains(errOut, "Wrote, read and deleted a test object") {
		t.Fatalf("secrets set --destination: exit %d, %s %s", code, out, errOut)
	}
	if v, err := ta.store.Get(secrets.Service, secrets.DestinationAccount(b.URL)); err != nil || v != b.Password {
		t.Fatalf("the keyring holds %d bytes for the bucket, %v", len(v), err)
	}
	ta.stdin = ""
	if code, out, errOut := run("secrets", "status"); code != exitOK || !strings.Contains(out, "found in the OS keyring") ||
		!strings.Contains(out, "Credentials for "+b.URL+": AWS key") || !strings.Contains(out, "A test object was written, read and deleted") {
		t.Fatalf("secrets status: exit %d, %s %s", code, out, errOut)
	}
	if code, out, errOut := run("validate", "--check-connection"); code != exitOK || !strings.Contains(out, "Reached "+b.URL+" with AWS key") {
		t.Fatalf("validate: exit %d, %s %s", code, out, errOut)
	}
	code, out, errOut := run("run")
	if code != exitOK || !strings.Contains(out, "loaded to destination filesystem") || !strings.Contains(out, b.URL) {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run("query", "select count(*) from resource_catalog", "--format", "csv"); code != exitOK || !strings.HasSuffix(out, "\n201\n") {
		t.Fatalf("query: %d %q", code, out)
	}
	if code, out, _ := run("status"); code != exitOK || !strings.Contains(out, "filesystem:"+b.URL) {
		t.Fatalf("status: %d %s", code, out)
	}
	url, showOut, stop := showing(t, map[string]string{secrets.EnvDestinationPassword: b.Password})
	resp, err := http.Get(strings.Replace(url, "/?", "/data?table=resource_catalog&sort=updated_at&dir=desc&", 1))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stop()
	all.Write(body)
	all.WriteString(showOut.String())
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Rows 1–50 of 201, sorted by updated_at desc") {
		t.Fatalf("show: %d %.500s", resp.StatusCode, body)
	}
	if code, out, _ := run("secrets", "delete", "--destination"); code != exitOK || !strings.Contains(out, "Deleted the secret access key of "+b.AccessKey+" for "+b.URL) {
		t.Fatalf("secrets delete --destination: exit %d, %s", code, out)
	}
	objs := listKeys(t, b)
	for _, want := range []string{"secoda_data/resource_catalog/", "secoda_data/_dlt_loads/", "secoda_data/_dlt_pipeline_state/", "secoda_data/_dlt_version/"} {
		if !strings.Contains(objs, want) {
			t.Errorf("the bucket has no %s*.parquet: %s", want, objs)
		}
	}
	if strings.Contains(all.String(), b.Password) {
		t.Fatal("the secret key appeared in an output")
	}
}

// TestAzureFromTheEnvironment: a container reached by the connection string in
// AZURE_STORAGE_CONNECTION_STRING (the cloud's own way), which no output repeats.
func TestAzureFromTheEnvironment(t *testing.T) {
	b := objtest.New(t, objtest.Azure)
	inProject(t)
	env := simEnv(t)
	env["AZURE_STORAGE_CONNECTION_STRING"] = objtest.AzureConnectionString(t)
	if code, _, errOut := runCmd(context.Background(), env, "scaffold", "--destination", "filesystem", "--bucket-url", b.URL); code != exitOK {
		t.Fatalf("scaffold: %s", errOut)
	}
	unpacedFile(t)
	var all strings.Builder
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--check-connection"}, "with the connection string in AZURE_STORAGE_CONNECTION_STRING: a test object was written, read and deleted"},
		{[]string{"secrets", "status"}, "Credentials for " + b.URL + ": the connection string"},
		{[]string{"run"}, "loaded to destination filesystem"},
		{[]string{"query", "select count(*) from document", "--format", "csv"}, "count_star()\n"},
	} {
		code, out, errOut := runCmd(context.Background(), env, step.args...)
		all.WriteString(out + errOut)
		if code != exitOK || !strings.Contains(out, step.want) {
			t.Fatalf("%v: exit %d, no %q in\n%s\n%s", step.args, code, step.want, out, errOut)
		}
	}
	if strings.Contains(all.String(), b.Password) {
		t.Fatal("the account key appeared in an output")
	}
}

// listKeys lists the bucket's keys, one a line.
func listKeys(t *testing.T, b objtest.Bucket) string {
	t.Helper()
	c := objtest.S3Client(b.Endpoint, b.AccessKey, b.Password)
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &b.Name})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return strings.Join(keys, "\n")
}
