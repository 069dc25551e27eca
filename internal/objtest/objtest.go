// Package objtest gives tests real object stores: the servers scripts/test starts on
// 127.0.0.1 (SeaweedFS for S3, fake-gcs-server for Google Cloud Storage, Azurite for
// Azure Blob Storage), and in each a fresh bucket per test, deleted when the test ends.
//
// Without those servers the tests that use them skip, unless SECODA_WORKBENCH_INTEGRATION
// is set (scripts/test sets it): then they fail, so a broken set-up never passes as
// skipped. Keys never go into the config or the bucket URL: a Bucket gives the secret
// separately, as the OS keyring or SECODA_DESTINATION_PASSWORD would.
package objtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The environment scripts/test exports (scripts/lib/objstore.sh).
const (
	S3EndpointEnv        = "SECODA_WORKBENCH_TEST_S3_ENDPOINT"
	S3AccessKeyEnv       = "SECODA_WORKBENCH_TEST_S3_ACCESS_KEY"
	S3SecretKeyEnv       = "SECODA_WORKBENCH_TEST_S3_SECRET_KEY"
	S3ReadOnlyKeyEnv     = "SECODA_WORKBENCH_TEST_S3_READONLY_ACCESS_KEY"
	S3ReadOnlySecretEnv  = "SECODA_WORKBENCH_TEST_S3_READONLY_SECRET_KEY"
	AzureConnectionEnv   = "SECODA_WORKBENCH_TEST_AZURE_CONNECTION_STRING"
	GCSEndpointEnv       = "SECODA_WORKBENCH_TEST_GCS_ENDPOINT"
	integrationEnv       = "SECODA_WORKBENCH_INTEGRATION"
	setupTimeout         = 30 * time.Second
	DatasetPrefixInTests = "runs" // the prefix each test's bucket_url has
)

// The stores, as tests name them.
const (
	S3    = "s3"
	GCS   = "gcs"
	Azure = "azure"
)

// Stores lists them.
var Stores = []string{S3, GCS, Azure}

// Bucket is one test's bucket.
type Bucket struct {
	Store string
	// URL is the bucket_url: s3://NAME/runs, gs://NAME/runs or az://NAME/runs.
	URL string
	// Section is the [destination] lines that reach it (bucket_url and the store's
	// endpoint and ids), with no secret in them.
	Section string
	// Password is the static secret (S3's secret key, Azure's account key) the
	// destination takes as its password.
	Password string
	// Name is the bucket or container; Endpoint the server's URL.
	Name, Endpoint string
	// AccessKey is S3's key id (its secret is Password); Account is Azure's account.
	AccessKey, Account string
}

func need(t testing.TB, envs ...string) []string {
	t.Helper()
	var vals []string
	for _, e := range envs {
		v := os.Getenv(e)
		if v == "" {
			msg := "needs the object stores scripts/test starts (" + e + ")"
			if os.Getenv(integrationEnv) != "" {
				t.Fatal(msg + ", and " + integrationEnv + " is set: run the tests with scripts/test")
			}
			t.Skip(msg)
		}
		vals = append(vals, v)
	}
	return vals
}

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "t-" + hex.EncodeToString(b)
}

// New makes a bucket in the store for t, deleted with everything in it when t ends.
func New(t testing.TB, store string) Bucket {
	t.Helper()
	switch store {
	case S3:
		return newS3(t)
	case GCS:
		return newGCS(t)
	case Azure:
		return newAzure(t)
	}
	t.Fatalf("objtest: no store %q", store)
	return Bucket{}
}

// S3Client is a client of the S3 server with the given keys.
func S3Client(endpoint, key, secret string) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
}

func newS3(t testing.TB) Bucket {
	v := need(t, S3EndpointEnv, S3AccessKeyEnv, S3SecretKeyEnv)
	b := Bucket{Store: S3, Name: randomName(), Endpoint: v[0], AccessKey: v[1], Password: v[2]}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	c := S3Client(b.Endpoint, b.AccessKey, b.Password)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b.Name}); err != nil {
		t.Fatalf("objtest: creating the S3 bucket %s: %v", b.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b.Name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				break
			}
			var ids []s3types.ObjectIdentifier
			for _, o := range page.Contents {
				ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
			}
			if len(ids) > 0 {
				_, _ = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b.Name, Delete: &s3types.Delete{Objects: ids}})
			}
		}
		_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b.Name})
	})
	b.URL = "s3://" + b.Name + "/" + DatasetPrefixInTests
	b.Section = fmt.Sprintf("bucket_url = %q\nendpoint_url = %q\naws_access_key_id = %q\n", b.URL, b.Endpoint, b.AccessKey)
	return b
}

// ReadOnlyS3 returns the key and secret of the S3 server's identity that may only read.
func ReadOnlyS3(t testing.TB) (key, secret string) {
	v := need(t, S3ReadOnlyKeyEnv, S3ReadOnlySecretEnv)
	return v[0], v[1]
}

func newGCS(t testing.TB) Bucket {
	v := need(t, GCSEndpointEnv)
	b := Bucket{Store: GCS, Name: randomName(), Endpoint: v[0]}
	body := fmt.Sprintf(`{"name": %q}`, b.Name)
	resp, err := http.Post(b.Endpoint+"/storage/v1/b?project=test", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("objtest: creating the GCS bucket %s: %v", b.Name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("objtest: creating the GCS bucket %s: %s", b.Name, resp.Status)
	}
	t.Cleanup(func() {
		// fake-gcs-server keeps its buckets in memory; empty this one.
		req, _ := http.NewRequest(http.MethodGet, b.Endpoint+"/storage/v1/b/"+b.Name+"/o", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var list struct{ Items []struct{ Name string } }
			_ = decodeJSON(resp, &list)
			for _, it := range list.Items {
				del, _ := http.NewRequest(http.MethodDelete, b.Endpoint+"/storage/v1/b/"+b.Name+"/o/"+url.PathEscape(it.Name), nil)
				if r, err := http.DefaultClient.Do(del); err == nil {
					r.Body.Close()
				}
			}
		}
		del, _ := http.NewRequest(http.MethodDelete, b.Endpoint+"/storage/v1/b/"+b.Name, nil)
		if r, err := http.DefaultClient.Do(del); err == nil {
			r.Body.Close()
		}
	})
	b.URL = "gs://" + b.Name + "/" + DatasetPrefixInTests
	b.Section = fmt.Sprintf("bucket_url = %q\nendpoint_url = %q\n", b.URL, b.Endpoint)
	return b
}

// AzureAccount reads the account, its key and the blob endpoint from the connection
// string scripts/test exports.
func AzureAccount(t testing.TB) (account, key, endpoint string) {
	v := need(t, AzureConnectionEnv)
	for _, part := range strings.Split(v[0], ";") {
		k, val, _ := strings.Cut(part, "=")
		switch k {
		case "AccountName":
			account = val
		case "AccountKey":
			key = val
		case "BlobEndpoint":
			endpoint = val
		}
	}
	return account, key, endpoint
}

// AzureConnectionString is the connection string scripts/test exports.
func AzureConnectionString(t testing.TB) string { return need(t, AzureConnectionEnv)[0] }

func newAzure(t testing.TB) Bucket {
	conn := need(t, AzureConnectionEnv)[0]
	account, key, endpoint := AzureAccount(t)
	b := Bucket{Store: Azure, Name: randomName(), Endpoint: endpoint, Account: account, Password: key}
	c, err := azblob.NewClientFromConnectionString(conn, nil)
	if err != nil {
		t.Fatalf("objtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := c.CreateContainer(ctx, b.Name, nil); err != nil {
		t.Fatalf("objtest: creating the Azure container %s: %v", b.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		_, _ = c.DeleteContainer(ctx, b.Name, nil)
	})
	b.URL = "az://" + b.Name + "/" + DatasetPrefixInTests
	b.Section = fmt.Sprintf("bucket_url = %q\nendpoint_url = %q\naccount_name = %q\n", b.URL, b.Endpoint, b.Account)
	return b
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// Slow is b reached through a proxy on 127.0.0.1 that holds each write (PUT) for delay
// before passing it on: a store far away, so that a test can catch a load halfway
// through its uploads.
func Slow(t testing.TB, b Bucket, delay time.Duration) Bucket {
	return Proxy(t, b, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut {
			time.Sleep(delay)
		}
		return false
	})
}

// Proxy is b reached through a proxy on 127.0.0.1 that asks before each request
// whether it answers the request itself (a fault) or passes it on. S3's signed requests
// pass unchanged: the proxy keeps their Host.
func Proxy(t testing.TB, b Bucket, answers func(w http.ResponseWriter, r *http.Request) bool) Bucket {
	t.Helper()
	target, err := url.Parse(b.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		host := r.Host
		director(r)
		r.Host = target.Host // fake-gcs-server and Azurite route by it
		if b.Store == S3 {
			r.Host = host // S3 signs it
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !answers(w, r) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	through := b
	through.Endpoint = srv.URL + target.Path
	through.Section = strings.Replace(b.Section, b.Endpoint, through.Endpoint, 1)
	return through
}
