package bucket

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
)

// DefaultLease is how long a lock object holds without its holder renewing it: a load
// renews it every third of that, so a holder that was killed keeps others out for at
// most this long (a holder on the same machine whose process is gone, not at all).
const DefaultLease = 2 * time.Minute

// Lock is a lock object a load holds: taken with a conditional write (S3 If-None-Match,
// GCS's generation 0 precondition, Azure If-None-Match), renewed by an overwrite
// conditional on the holder's own ETag or generation, and given up by a delete
// conditional on it too, so that a holder never removes a lock it lost.
type Lock struct {
	s     *Store
	key   string
	lease time.Duration
	body  lockBody

	mu   sync.Mutex
	ver  version
	lost error
	stop chan struct{}
	done chan struct{}
}

// lockBody is what the lock object holds: who holds it and until when.
type lockBody struct {
	Token    string    `json:"token"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Program  string    `json:"program"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// version is what a conditional request matches an object's state against.
type version struct {
	etag       string
	generation int64 // GCS
}

// HeldError is a lock another load holds.
type HeldError struct {
	Key, Host string
	PID       int
	Acquired  time.Time
	Expires   time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("held by process %d on %s since %s (its lease runs to %s unless it renews it)", e.PID, e.Host,
		e.Acquired.Format(time.RFC3339), e.Expires.Format(time.RFC3339))
}

// Lock takes the lock object key (relative to the location), or returns a *HeldError
// when a live holder has it. A holder whose lease ran out, or whose process on this
// machine is gone, loses it to this one.
func (s *Store) Lock(ctx context.Context, key string, lease time.Duration) (*Lock, error) {
	if lease <= 0 {
		lease = DefaultLease
	}
	b, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	l := &Lock{s: s, key: key, lease: lease, body: lockBody{Token: hex.EncodeToString(token), Host: host, PID: os.Getpid(),
		Program: "secoda-workbench", Acquired: time.Now().UTC()}}
	for attempt := 0; ; attempt++ {
		err := l.write(ctx, b, true)
		if err == nil {
			break
		}
		if gcerrorsCode(err) != codePrecondition || attempt == 2 {
			return nil, s.Explain(err, "take the lock "+key)
		}
		held, ver, err := s.readLock(ctx, b, key)
		if errors.Is(err, errNoLock) {
			continue // given up meanwhile
		}
		if err != nil {
			return nil, err
		}
		if !held.stale() {
			return nil, &HeldError{Key: key, Host: held.Host, PID: held.PID, Acquired: held.Acquired, Expires: held.Expires}
		}
		// A dead holder's: removed only as it was read, so that a live one that took it
		// meanwhile keeps it.
		if err := s.deleteIf(ctx, b, key, ver); err != nil && gcerrorsCode(err) != codePrecondition && gcerrorsCode(err) != codeNotFound {
			return nil, s.Explain(err, "remove the expired lock "+key)
		}
	}
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go l.renew()
	return l, nil
}

var errNoLock = errors.New("no lock object")

// write writes the lock with a new expiry: only if there is none (create), or else
// only over the holder's own version.
func (l *Lock) write(ctx context.Context, b *blob.Bucket, create bool) error {
	body := l.body
	body.Expires = time.Now().UTC().Add(l.lease)
	data, _ := json.Marshal(body)
	l.mu.Lock()
	ver := l.ver
	l.mu.Unlock()
	opts := &blob.WriterOptions{ContentType: "application/json", IfNotExist: create}
	if !create {
		opts.BeforeWrite = func(as func(any) bool) error { return ifMatchWrite(as, ver) }
	}
	if err := writeAll(ctx, b, l.s.key(l.key), data, opts); err != nil {
		return err
	}
	_, got, err := l.s.readLock(ctx, b, l.key)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.ver = got
	l.mu.Unlock()
	return nil
}

// renew rewrites the lock every third of the lease until Release; a lock that was
// taken from it, or that could not be renewed before its lease ran out, is lost.
func (l *Lock) renew() {
	defer close(l.done)
	t := time.NewTicker(l.lease / 3)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
		err := l.check(ctx)
		if err == nil {
			b, _ := l.s.open(ctx)
			err = l.write(ctx, b, false)
		}
		cancel()
		if err == nil {
			renewed = time.Now()
			continue
		}
		if errors.Is(err, errLost) || gcerrorsCode(err) == codePrecondition || time.Since(renewed) > l.lease {
			l.mu.Lock()
			l.lost = fmt.Errorf("the lock %s was lost: %w", l.key, err)
			l.mu.Unlock()
			return
		}
	}
}

var errLost = errors.New("another load holds it now")

// check reads the lock back and says whether it is still this holder's.
func (l *Lock) check(ctx context.Context) error {
	b, err := l.s.open(ctx)
	if err != nil {
		return err
	}
	held, _, err := l.s.readLock(ctx, b, l.key)
	if errors.Is(err, errNoLock) {
		return errLost
	}
	if err != nil {
		return err
	}
	if held.Token != l.body.Token {
		return fmt.Errorf("%w (process %d on %s)", errLost, held.PID, held.Host)
	}
	return nil
}

// Held says whether the lock is still this holder's, reading it back: a load asks
// just before it commits.
func (l *Lock) Held(ctx context.Context) error {
	l.mu.Lock()
	lost := l.lost
	l.mu.Unlock()
	if lost != nil {
		return lost
	}
	if err := l.check(ctx); err != nil {
		return fmt.Errorf("the lock %s: %w; nothing was committed, run again", l.key, err)
	}
	return nil
}

// Release stops renewing and removes the lock, if it is still this holder's.
func (l *Lock) Release(ctx context.Context) {
	close(l.stop)
	<-l.done
	b, err := l.s.open(ctx)
	if err != nil || l.check(ctx) != nil {
		return
	}
	l.mu.Lock()
	ver := l.ver
	l.mu.Unlock()
	_ = l.s.deleteIf(ctx, b, l.key, ver)
}

// readLock reads a lock object and its version.
func (s *Store) readLock(ctx context.Context, b *blob.Bucket, key string) (lockBody, version, error) {
	var body lockBody
	r, err := b.NewReader(ctx, s.key(key), nil)
	if err != nil {
		if gcerrorsCode(err) == codeNotFound {
			return body, version{}, errNoLock
		}
		return body, version{}, s.Explain(err, "read the lock "+key)
	}
	defer r.Close()
	var ver version
	ver.etag = readerETag(r)
	var g *storage.Reader
	if r.As(&g) {
		ver.generation = g.Attrs.Generation
	}
	data, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return body, ver, s.Explain(err, "read the lock "+key)
	}
	if err := json.Unmarshal(data, &body); err != nil {
		// Read whole, but not a lock of ours: treat it as expired at once.
		return lockBody{Host: "?"}, ver, nil
	}
	return body, ver, nil
}

// stale says the holder is gone: its lease ran out, or it ran on this machine and its
// process is no longer there.
func (b lockBody) stale() bool {
	if time.Now().After(b.Expires) {
		return true
	}
	host, _ := os.Hostname()
	return b.Host == host && b.PID > 0 && b.PID != os.Getpid() && !processAlive(b.PID)
}

// deleteIf deletes key only if it is still at version ver.
func (s *Store) deleteIf(ctx context.Context, b *blob.Bucket, key string, ver version) error {
	return b.DeleteWithOptions(ctx, s.key(key), &blob.DeleteOptions{BeforeDelete: func(as func(any) bool) error {
		var in *s3.DeleteObjectInput
		if as(&in) && ver.etag != "" {
			in.IfMatch = quoted(ver.etag)
		}
		var h **storage.ObjectHandle
		if as(&h) && ver.generation != 0 {
			*h = (*h).If(storage.Conditions{GenerationMatch: ver.generation})
		}
		var az *azblobblob.DeleteOptions
		if as(&az) && ver.etag != "" {
			az.AccessConditions = azMatch(ver.etag)
		}
		return nil
	}})
}

func quoted(etag string) *string {
	if !strings.HasPrefix(etag, `"`) {
		etag = `"` + etag + `"`
	}
	return &etag
}

func azMatch(etag string) *azblobblob.AccessConditions {
	e := azcore.ETag(quotedValue(etag))
	return &azblobblob.AccessConditions{ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &e}}
}

func quotedValue(etag string) string { return *quoted(etag) }

// ifMatchWrite makes a write replace the object only at version ver.
func ifMatchWrite(as func(any) bool, ver version) error {
	var in *transfermanager.UploadObjectInput
	if as(&in) && ver.etag != "" {
		in.IfMatch = quoted(ver.etag)
	}
	var h **storage.ObjectHandle
	if as(&h) && ver.generation != 0 {
		*h = (*h).If(storage.Conditions{GenerationMatch: ver.generation})
	}
	var az *azblob.UploadStreamOptions
	if as(&az) && ver.etag != "" {
		az.AccessConditions = azMatch(ver.etag)
	}
	return nil
}
