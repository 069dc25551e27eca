package bucket_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/objtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
)

// storeFor opens a fresh bucket of the store as the destination does, with its keys.
func storeFor(t *testing.T, store string) (*bucket.Store, objtest.Bucket) {
	t.Helper()
	b := objtest.New(t, store)
	loc, err := bucket.ParseURL(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bucket.Config{Location: loc, EndpointURL: b.Endpoint, Secret: b.Password, AccessKeyID: b.AccessKey, AccountName: b.Account,
		Getenv: func(string) string { return "" }}
	s := bucket.New(cfg)
	t.Cleanup(func() { s.Close() })
	return s, b
}

func eachStore(t *testing.T, f func(t *testing.T, s *bucket.Store, b objtest.Bucket)) {
	for _, store := range objtest.Stores {
		t.Run(store, func(t *testing.T) {
			s, b := storeFor(t, store)
			f(t, s, b)
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// TestObjectsGoUpAndComeBack: on each real store, a file larger than one part goes up
// (a multipart upload), is listed with its size and an ETag, and comes back the same.
func TestObjectsGoUpAndComeBack(t *testing.T) {
	eachStore(t, func(t *testing.T, s *bucket.Store, b objtest.Bucket) {
		dir := t.TempDir()
		src := filepath.Join(dir, "big")
		data := make([]byte, 20<<20+12345) // past the 8 MB part size, twice
		for i := range data {
			data[i] = byte(i * 7 % 251)
		}
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Upload(ctx(t), src, "ds/t/1.2.parquet"); err != nil {
			t.Fatal(err)
		}
		objs, err := s.List(ctx(t), "ds/")
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 1 || objs[0].Key != "t/1.2.parquet" || objs[0].Size != int64(len(data)) || objs[0].ETag == "" {
			t.Fatalf("listed %+v, want t/1.2.parquet of %d bytes with an ETag", objs, len(data))
		}
		if b.Store == objtest.S3 && !strings.HasSuffix(objs[0].ETag, "-3") {
			t.Errorf("the S3 ETag %q is not a three-part multipart upload's", objs[0].ETag)
		}
		back := filepath.Join(dir, "back")
		if err := s.Download(ctx(t), "ds/t/1.2.parquet", back, objs[0]); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(back)
		if string(got) != string(data) {
			t.Fatalf("came back %d bytes, differing from the %d sent", len(got), len(data))
		}
		// A listing that no longer matches the object is refused, not cached.
		stale := objs[0]
		stale.Size--
		if err := s.Download(ctx(t), "ds/t/1.2.parquet", back+"2", stale); err == nil || !strings.Contains(err.Error(), "changed while it was read") {
			t.Fatalf("a download at another size: %v", err)
		}
		if err := s.Delete(ctx(t), "ds/t/1.2.parquet"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx(t), "ds/t/1.2.parquet"); err != nil {
			t.Fatalf("deleting what is gone: %v", err)
		}
		if err := s.Check(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if objs, _ := s.List(ctx(t), ""); len(objs) != 0 {
			t.Fatalf("left behind: %+v", objs)
		}
		cred, err := s.Credentials(ctx(t))
		if err != nil || cred == "" || (b.Password != "" && strings.Contains(cred, b.Password)) {
			t.Fatalf("credentials %q, %v", cred, err)
		}
	})
}

// TestTheLockIsHeldOnce: on each real store, a second taker is refused while the
// holder lives, the holder renews it, and a lock whose lease ran out, or whose holder
// on this machine is gone, is taken over; the one who lost it knows before it commits.
func TestTheLockIsHeldOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s *bucket.Store, b objtest.Bucket) {
		lease := 3 * time.Second
		first, err := s.Lock(ctx(t), "ds/.lock", lease)
		if err != nil {
			t.Fatal(err)
		}
		var held *bucket.HeldError
		if _, err := s.Lock(ctx(t), "ds/.lock", lease); !errors.As(err, &held) || held.PID != os.Getpid() {
			t.Fatalf("a second taker: %v", err)
		}
		time.Sleep(lease + lease/2) // renewed meanwhile: still held
		if _, err := s.Lock(ctx(t), "ds/.lock", lease); !errors.As(err, &held) {
			t.Fatalf("after the first lease, renewed: %v", err)
		}
		if err := first.Held(ctx(t)); err != nil {
			t.Fatal(err)
		}
		first.Release(ctx(t))
		second, err := s.Lock(ctx(t), "ds/.lock", lease)
		if err != nil {
			t.Fatalf("after a release: %v", err)
		}
		second.Release(ctx(t))

		// A holder that died: its process on this machine is gone.
		dead := bucket.FakeHolder(t, s, "ds/.lock", 999_999_999, time.Hour)
		if dead != nil {
			t.Fatal(dead)
		}
		third, err := s.Lock(ctx(t), "ds/.lock", lease)
		if err != nil {
			t.Fatalf("over a dead holder's lock: %v", err)
		}
		// A holder elsewhere whose lease ran out.
		third.Release(ctx(t))
		if err := bucket.FakeHolderElsewhere(t, s, "ds/.lock", -time.Second); err != nil {
			t.Fatal(err)
		}
		fourth, err := s.Lock(ctx(t), "ds/.lock", lease)
		if err != nil {
			t.Fatalf("over an expired lease: %v", err)
		}
		// Taken from it (a holder that took an expired lease over): the holder knows.
		if err := bucket.Overwrite(t, s, "ds/.lock"); err != nil {
			t.Fatal(err)
		}
		if err := fourth.Held(ctx(t)); err == nil {
			t.Fatal("a lock taken over is still held, its holder thinks")
		}
		fourth.Release(ctx(t))
		if objs, _ := s.List(ctx(t), "ds/"); len(objs) != 1 {
			t.Fatalf("the holder that lost its lock removed the other's: %+v", objs)
		}
	})
}
