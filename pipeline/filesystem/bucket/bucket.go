// Package bucket is the object store a filesystem destination's bucket_url names: S3
// and S3-compatible stores (MinIO, Cloudflare R2, SeaweedFS, Ceph), Google Cloud Storage
// and Azure Blob Storage, all through gocloud.dev/blob, each with its cloud's own
// credential chain. It gives the filesystem destination what it needs of a store and no
// more: a listing with sizes and ETags, uploads (multipart for large files), downloads
// checked against the listing, deletes, a lock object taken with a conditional write,
// and errors that say what to do.
//
// gocloud.dev covers all of it but two things, for which it hands over the native
// request (its As functions): a delete or overwrite conditional on an ETag or a
// generation (S3 If-Match, GCS generation preconditions, Azure If-Match), which the
// lock's lease needs, and GCS's retry of writes that have no precondition.
package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// The schemes bucket_url takes, besides a local path.
const (
	S3    = "s3"
	GCS   = "gs"
	Azure = "az"
	File  = "file"
)

// Schemes lists the object stores, for messages.
var Schemes = []string{S3, GCS, Azure}

// Location is a bucket_url taken apart.
type Location struct {
	Scheme string // s3, gs or az; file for a local folder
	Bucket string // the bucket or container; for file, the folder
	Prefix string // "" or a key prefix ending in "/"
}

// IsRemote says the location is an object store, not a local folder.
func (l Location) IsRemote() bool { return l.Scheme != File }

// String is the URL as a person writes it: s3://bucket/prefix.
func (l Location) String() string {
	if l.Scheme == File {
		return l.Bucket
	}
	return l.Scheme + "://" + l.Bucket + "/" + strings.TrimSuffix(l.Prefix, "/")
}

// ParseURL reads a bucket_url: s3://bucket/prefix, gs://bucket/prefix,
// az://container/prefix (abfs:// and abfss:// too, as dlt takes them), file:///path or a
// local path. The error says what a good one looks like.
func ParseURL(s string) (Location, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Location{}, errors.New("is empty: name a bucket (s3://bucket/prefix, gs://bucket/prefix, az://container/prefix) or a local folder")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Location{Scheme: File, Bucket: s}, nil
	}
	switch strings.ToLower(scheme) {
	case "file":
		if rest == "" {
			return Location{}, errors.New("file:// names no folder: write file:///absolute/path, or a path relative to the config")
		}
		return Location{Scheme: File, Bucket: rest}, nil
	case "s3", "s3a":
		scheme = S3
	case "gs", "gcs":
		scheme = GCS
	case "az", "abfs", "abfss", "azure":
		scheme = Azure
	default:
		return Location{}, fmt.Errorf("scheme %q is not one this destination writes to: use s3://, gs://, az:// or a local folder", scheme)
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err == nil && scheme == Azure && u.User != nil {
		// abfss://container@account.dfs.core.windows.net/prefix: the container is the user.
		if _, hasPassword := u.User.Password(); !hasPassword {
			u.Host, u.User = u.User.Username(), nil
		}
	}
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Location{}, fmt.Errorf("%q is not a bucket URL of the form %s://bucket/prefix (no user, password or query in it; credentials never go in the config)", s, scheme)
	}
	name := u.Host
	if name == "" || strings.ContainsAny(name, " /\\") {
		return Location{}, fmt.Errorf("%q names no bucket: write %s://bucket/prefix", s, scheme)
	}
	prefix := strings.Trim(u.Path, "/")
	for _, part := range strings.Split(prefix, "/") {
		if part == "." || part == ".." {
			return Location{}, fmt.Errorf("%q has %q in its path: name the prefix plainly", s, part)
		}
	}
	if prefix != "" {
		prefix += "/"
	}
	return Location{Scheme: scheme, Bucket: name, Prefix: prefix}, nil
}

// Config is how to reach one bucket. It holds no secret but Secret, which the caller
// found in the OS keyring or the environment and told the redactor.
type Config struct {
	Location Location
	// EndpointURL is an S3-compatible store's endpoint (path-style requests), a GCS
	// emulator's, or an Azure account's blob endpoint; "" for the cloud's own.
	EndpointURL string
	Region      string // S3; "" for the AWS chain's, then us-east-1
	AccountName string // Azure
	// AccessKeyID is an S3 static key's id; with Secret, it takes the place of the AWS chain.
	AccessKeyID string
	// Secret is a static key: S3's secret access key (with AccessKeyID) or Azure's
	// account key (with AccountName); "" for the cloud's credential chain.
	Secret string
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
}

func (c *Config) getenv(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
}

// Store is one bucket, opened on first use.
type Store struct {
	cfg  Config
	once sync.Once
	b    *blob.Bucket
	cred string // which credentials, for reports
	err  error
}

// New describes the store; nothing is opened or read until it is used.
func New(cfg Config) *Store { return &Store{cfg: cfg} }

// Location is the store's bucket URL.
func (s *Store) Location() Location { return s.cfg.Location }

func (s *Store) open(ctx context.Context) (*blob.Bucket, error) {
	s.once.Do(func() {
		var c opened
		switch s.cfg.Location.Scheme {
		case S3:
			c, s.err = openS3(ctx, &s.cfg)
		case GCS:
			c, s.err = openGCS(ctx, &s.cfg)
		case Azure:
			c, s.err = openAzure(ctx, &s.cfg)
		default:
			s.err = fmt.Errorf("%s is not an object store", s.cfg.Location)
		}
		if s.err == nil {
			s.b, s.cred = c.bucket, c.credentials
		}
	})
	return s.b, s.err
}

// opened is a bucket and the name of the credentials it was opened with.
type opened struct {
	bucket      *blob.Bucket
	credentials string
}

// Close releases the store's connections.
func (s *Store) Close() error {
	if s.b != nil {
		return s.b.Close()
	}
	return nil
}

// Credentials names the credentials the store uses (never a value): "static key
// AKIA… from the OS keyring", "AWS: EnvConfigCredentials", "Azure: connection string in
// AZURE_STORAGE_CONNECTION_STRING", ... Opening fails when none are found.
func (s *Store) Credentials(ctx context.Context) (string, error) {
	if _, err := s.open(ctx); err != nil {
		return "", err
	}
	if s.cfg.Location.Scheme == S3 {
		return s3Credentials(ctx, s.b)
	}
	return s.cred, nil
}

func (s *Store) key(rel string) string { return s.cfg.Location.Prefix + rel }

// Object is one object of a listing, its key relative to a listed prefix.
type Object struct {
	Key  string
	Size int64
	ETag string // as the store gives it; "" where it gives none
}

// List lists every object under prefix (relative to the location's), recursively.
func (s *Store) List(ctx context.Context, prefix string) ([]Object, error) {
	b, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	full := s.key(prefix)
	it := b.List(&blob.ListOptions{Prefix: full})
	var out []Object
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, s.Explain(err, "list "+s.cfg.Location.String()+"/"+prefix)
		}
		if o.IsDir {
			continue
		}
		out = append(out, Object{Key: strings.TrimPrefix(o.Key, full), Size: o.Size, ETag: listETag(o)})
	}
}

// Download writes the object key to path (through a temporary file renamed into place)
// and checks that it has the listed size and ETag; want.ETag "" skips the ETag check.
func (s *Store) Download(ctx context.Context, key, path string, want Object) error {
	b, err := s.open(ctx)
	if err != nil {
		return err
	}
	r, err := b.NewReader(ctx, s.key(key), nil)
	if err != nil {
		return s.Explain(err, "read "+key)
	}
	defer r.Close()
	tmp := path + ".download"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return s.Explain(err, "read "+key)
	}
	if n != want.Size || (want.ETag != "" && readerETag(r) != "" && readerETag(r) != want.ETag) {
		os.Remove(tmp)
		return fmt.Errorf("%s changed while it was read (%d bytes, listed as %d): another load replaced it; read again", key, n, want.Size)
	}
	return os.Rename(tmp, path)
}

// uploadBuffer is the part size of a multipart upload (S3), a block (Azure) or a chunk of
// a resumable upload (GCS): files past it go up in parts.
const uploadBuffer = 8 << 20

// Upload writes the file at path to the object key.
func (s *Store) Upload(ctx context.Context, path, key string) error {
	b, err := s.open(ctx)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// One part in flight per file: the destination sends four files at once, so that
	// an upload holds at most four parts in memory.
	opts := &blob.WriterOptions{BufferSize: uploadBuffer, MaxConcurrency: 1, ContentType: "application/octet-stream", BeforeWrite: s.retryWrites}
	if err := b.Upload(ctx, s.key(key), f, opts); err != nil {
		return s.Explain(err, "write "+key)
	}
	return nil
}

// Delete removes the object key; one that is not there is no error.
func (s *Store) Delete(ctx context.Context, key string) error {
	b, err := s.open(ctx)
	if err != nil {
		return err
	}
	err = b.Delete(ctx, s.key(key))
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return s.Explain(err, "delete "+key)
	}
	return nil
}

// checkKey is the object Check writes, reads and deletes.
const checkKey = "_workbench_check"

// Check writes a small object, reads it back and deletes it: what a load needs.
func (s *Store) Check(ctx context.Context) error {
	b, err := s.open(ctx)
	if err != nil {
		return err
	}
	body := []byte("secoda-workbench " + time.Now().UTC().Format(time.RFC3339Nano))
	key := s.key(checkKey)
	if err := writeAll(ctx, b, key, body, &blob.WriterOptions{BeforeWrite: s.retryWrites}); err != nil {
		return s.Explain(err, "write a test object "+s.cfg.Location.String()+"/"+checkKey)
	}
	got, err := b.ReadAll(ctx, key)
	if err != nil {
		return s.Explain(err, "read the test object back")
	}
	if string(got) != string(body) {
		return fmt.Errorf("the test object came back changed (%d bytes, wrote %d)", len(got), len(body))
	}
	if err := b.Delete(ctx, key); err != nil {
		return s.Explain(err, "delete the test object")
	}
	return nil
}

// LocalFile turns an object key into a path below dir.
func LocalFile(dir, key string) string { return filepath.Join(dir, filepath.FromSlash(key)) }

// writeAll writes a small object whole. It goes through Upload, not WriteAll: the Azure
// driver of gocloud.dev v0.47.0 panics closing a WriteAll whose upload failed (a
// conditional write that lost, say), and Upload takes another path.
func writeAll(ctx context.Context, b *blob.Bucket, key string, data []byte, opts *blob.WriterOptions) error {
	o := blob.WriterOptions{}
	if opts != nil {
		o = *opts
	}
	if o.ContentType == "" {
		o.ContentType = "application/octet-stream"
	}
	return b.Upload(ctx, key, bytes.NewReader(data), &o)
}

// IsNotFound says err is an object that is not there (any more).
func IsNotFound(err error) bool { return gcerrors.Code(err) == gcerrors.NotFound }
