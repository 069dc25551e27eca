package pipeline

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
)

// TestBucketURLsAreReadAsDltWritesThem: bucket_url takes dlt's forms for each store,
// and a local folder (plain or file://) is the same as path.
func TestBucketURLsAreReadAsDltWritesThem(t *testing.T) {
	for _, tc := range []struct {
		url, extra string
		want       bucket.Location
	}{
		{"s3://analytics/secoda", "endpoint_url = \"http://127.0.0.1:9000\"\nregion = \"eu-west-1\"\naws_access_key_id = \"AKIAEXAMPLE000001\"\n",
			bucket.Location{Scheme: bucket.S3, Bucket: "analytics", Prefix: "secoda/"}},
		{"s3://analytics", "", bucket.Location{Scheme: bucket.S3, Bucket: "analytics"}},
		{"gs://lake/raw/secoda/", "", bucket.Location{Scheme: bucket.GCS, Bucket: "lake", Prefix: "raw/secoda/"}},
		{"az://catalog/secoda", "account_name = \"mystorage\"\n", bucket.Location{Scheme: bucket.Azure, Bucket: "catalog", Prefix: "secoda/"}},
		{"abfss://catalog@mystorage.dfs.core.windows.net/secoda", "", bucket.Location{Scheme: bucket.Azure, Bucket: "catalog", Prefix: "secoda/"}},
	} {
		plan, err := ParseConfig("", []byte("[destination]\ntype = \"filesystem\"\nbucket_url = \""+tc.url+"\"\n"+tc.extra+"[resources.tag]\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if !plan.IsBucket() || plan.Bucket.Location != tc.want || plan.DestinationPath != "" || plan.CacheMax != int64(DefaultCacheMaxMB)<<20 {
			t.Fatalf("%s: %+v", tc.url, plan.Bucket)
		}
		if got := plan.DestinationLocation(); !strings.HasPrefix(got, tc.want.Scheme+"://"+tc.want.Bucket) {
			t.Fatalf("%s: location %q", tc.url, got)
		}
	}
	dir := t.TempDir()
	for _, u := range []string{"parquet", "file://parquet"} {
		plan, err := ParseConfig(dir+"/"+ConfigFileName, []byte("[destination]\ntype = \"filesystem\"\nbucket_url = \""+u+"\"\n[resources.tag]\n"))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if plan.IsBucket() || plan.DestinationPath != dir+"/parquet" {
			t.Fatalf("%s: a local folder, read as %+v at %q", u, plan.Bucket, plan.DestinationPath)
		}
	}
}

// TestBucketKeysInTheWrongPlace: each object-store key is refused, at its line and
// saying what to do, where it does not belong; a secret is never taken for a key id.
func TestBucketKeysInTheWrongPlace(t *testing.T) {
	for _, tc := range []struct{ src, at, want string }{
		{"[destination]\nbucket_url = \"s3://b/p\"\n", "2:1", "bucket_url is for the filesystem destination"},
		{"[destination]\ntype = \"postgres\"\nurl = \"postgres://u@h/db\"\nregion = \"eu-west-1\"\n", "4:1", "region is for the filesystem destination"},
		{"[destination]\ntype = \"filesystem\"\nregion = \"eu-west-1\"\n", "3:1", "region is for a bucket: set bucket_url"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"gs://b/p\"\nregion = \"eu-west-1\"\n", "4:1", "region is for s3:// buckets"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/p\"\naccount_name = \"acct\"\n", "4:1", "account_name is for az:// buckets"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/p\"\npath = \"data\"\n", "4:1", "give bucket_url or path, not both"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"ftp://b/p\"\n", "3:14", "use s3://, gs://, az:// or a local folder"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://user:pw@b/p\"\n", "3:14", "credentials never go in the config"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3:///p\"\n", "3:14", "names no bucket"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/../p\"\n", "3:14", "name the prefix plainly"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/p\"\nendpoint_url = \"127.0.0.1:9000\"\n", "4:16", "http:// or https://"},
		{"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/p\"\naws_access_key_id = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n", "4:21", "looks like a secret access key"},
	} {
		_, err := ParseConfig(ConfigFileName, []byte(tc.src+"[resources.tag]\n"))
		if err == nil || !strings.Contains(err.Error(), ConfigFileName+":"+tc.at+":") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: want %q at %s, got %v", tc.src, tc.want, tc.at, err)
		}
		if err != nil && strings.Contains(err.Error(), "wJalrXUtnFEMI") {
			t.Errorf("the error repeats the secret: %v", err)
		}
	}
}

// TestScaffoldWritesABucket: scaffold's bucket_url parses back into the bucket, with
// the keys of its store offered as comments; it is refused for another destination.
func TestScaffoldWritesABucket(t *testing.T) {
	for _, u := range []string{"s3://analytics/secoda", "gs://lake/secoda", "az://catalog/secoda"} {
		text, err := Scaffold(ScaffoldOptions{Destination: "filesystem", BucketURL: u})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := ParseConfig("", []byte(text))
		if err != nil {
			t.Fatalf("%s: %v\n%s", u, err, text)
		}
		if plan.DestinationLocation() != u {
			t.Fatalf("%s: scaffolded %q", u, plan.DestinationLocation())
		}
		want := map[string]string{"s3": "# aws_access_key_id = ", "gs": "application default credentials", "az": "# account_name = "}[u[:2]]
		if !strings.Contains(text, want) || !strings.Contains(text, "# cache_max_mb = ") {
			t.Fatalf("%s: no %q in\n%s", u, want, text)
		}
	}
	if _, err := Scaffold(ScaffoldOptions{Destination: "duckdb", BucketURL: "s3://b/p"}); err == nil || !strings.Contains(err.Error(), "--destination filesystem") {
		t.Fatalf("a bucket for duckdb: %v", err)
	}
	if _, err := Scaffold(ScaffoldOptions{Destination: "filesystem", BucketURL: "hdfs://b/p"}); err == nil || !strings.Contains(err.Error(), "s3://") {
		t.Fatalf("an unknown scheme: %v", err)
	}
}
