package filesystem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
)

// A dataset in a bucket (s3://, gs://, az://) is laid out as in a folder, under
// <bucket_url>/<dataset>/. Object stores have no rename, so a load differs from a
// folder's in how it commits: it writes the files in the cache folder as a folder load
// does, then uploads each under its final name (the names are the load's own, so no
// reader that keeps to committed loads uses them), _dlt_loads/<load_id>.parquet last:
// that upload is the commit. Only then does it delete what the load replaced. A load
// killed before its commit leaves objects named like ours that no committed load lists;
// the next load deletes them (and only objects named like ours).
//
// Two loads of one dataset never interleave: a load holds the lock object
// <dataset>/.lock (bucket.Lock), taken with a conditional write, renewed while it runs,
// and checked once more before the commit.
//
// Reads go through a local cache of exactly the committed files (DuckDB here has no
// httpfs): each read lists the dataset, downloads what the cache lacks or holds at
// another size or ETag, and deletes what no committed load uses any more; then it reads
// the cache as a folder.

// The remote's own objects and the cache's own files.
const (
	remoteLock    = ".lock"
	cacheManifest = ".objects.json"
)

// NewBucket describes a dataset in a bucket, read through a cache under cacheRoot
// (cacheMax bytes at most); it touches nothing.
func NewBucket(store *bucket.Store, cacheRoot, dataset string, cacheMax int64) *Destination {
	d := New(cacheRoot, dataset)
	d.Remote, d.CacheMax = store, cacheMax
	return d
}

// remoteLocation is the dataset's URL in the bucket.
func (d *Destination) remoteLocation() string {
	return strings.TrimSuffix(d.Remote.Location().String(), "/") + "/" + d.Dataset
}

// manifest is the cache's record of each cached file's object: its size and ETag.
type manifest map[string]bucket.Object

func (d *Destination) readManifest() manifest {
	m := manifest{}
	data, err := os.ReadFile(filepath.Join(d.dir(), cacheManifest))
	if err == nil {
		_ = json.Unmarshal(data, &m)
	}
	return m
}

func (d *Destination) writeManifest(m manifest) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(d.dir(), cacheManifest+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(d.dir(), cacheManifest))
}

// listing is the dataset's objects in the bucket, by key below the dataset.
type listing map[string]bucket.Object

func (d *Destination) list(ctx context.Context) (listing, error) {
	objs, err := d.Remote.List(ctx, d.Dataset+"/")
	if err != nil {
		return nil, err
	}
	out := listing{}
	for _, o := range objs {
		out[o.Key] = o
	}
	return out, nil
}

// committedIn lists the committed load ids of a listing, oldest first.
func (l listing) committedIn() []string {
	var ids []string
	for key := range l {
		if name, ok := strings.CutPrefix(key, loadsTable+"/"); ok && ours.MatchString(name) && !strings.HasSuffix(name, ".tmp") {
			ids = append(ids, strings.TrimSuffix(name, parquetExt))
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		switch {
		case loadIDLess(a, b):
			return -1
		case loadIDLess(b, a):
			return 1
		}
		return 0
	})
	return ids
}

// syncSystem brings the cache's system tables to the bucket's committed loads:
// downloads their files and deletes the cache's _dlt_loads files of loads the bucket
// does not hold. It returns the listing, for syncData.
func (d *Destination) syncSystem(ctx context.Context) (listing, error) {
	objs, err := d.list(ctx)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.dir(), 0o755); err != nil {
		return nil, err
	}
	need := map[string]bucket.Object{}
	ids := objs.committedIn()
	for _, t := range systemTables {
		for _, id := range ids {
			key := t + "/" + id + parquetExt
			if o, ok := objs[key]; ok {
				need[key] = o
			}
		}
	}
	if err := d.fetch(ctx, need); err != nil {
		return nil, err
	}
	// A cached commit the bucket does not hold (the bucket was emptied or replaced).
	entries, _ := os.ReadDir(filepath.Join(d.dir(), loadsTable))
	for _, e := range entries {
		if _, ok := need[loadsTable+"/"+e.Name()]; !ok && ours.MatchString(e.Name()) && !strings.HasSuffix(e.Name(), ".tmp") {
			_ = os.Remove(filepath.Join(d.dir(), loadsTable, e.Name()))
		}
	}
	return objs, nil
}

// syncData downloads the snapshot's data files the cache lacks, and deletes cached
// files no committed load uses, keeping the cache within CacheMax.
func (d *Destination) syncData(ctx context.Context, snap *snapshot, objs listing) error {
	need := map[string]bucket.Object{}
	var size int64
	for _, files := range snap.files {
		for _, f := range files {
			key := filepath.ToSlash(f)
			o, ok := objs[key]
			if !ok {
				return fmt.Errorf("%s/%s is listed by the last complete load but is not in the bucket: something other than a load deleted it; "+
					"run `secoda-workbench run --full-refresh` to load the dataset again", d.remoteLocation(), key)
			}
			need[key] = o
			size += o.Size
		}
	}
	for _, t := range systemTables {
		for _, id := range snap.loads {
			if o, ok := objs[t+"/"+id+parquetExt]; ok {
				size += o.Size
			}
		}
	}
	if d.CacheMax > 0 && size > d.CacheMax {
		return fmt.Errorf("the committed files of %s take %d MB, more than the local cache may hold (%d MB): raise [destination] cache_max_mb in "+
			"secoda_pipeline.toml, or read the files where they are with a reader that has httpfs", d.remoteLocation(), size>>20, d.CacheMax>>20)
	}
	if err := d.fetch(ctx, need); err != nil {
		return err
	}
	// What no committed load uses any more (replaced, or left by a killed load).
	keep := map[string]bool{}
	for k := range need {
		keep[k] = true
	}
	for _, t := range systemTables {
		for _, id := range snap.loads {
			keep[t+"/"+id+parquetExt] = true
		}
	}
	d.pruneCache(keep)
	return nil
}

// fetch downloads the objects the cache does not hold as listed, four at a time.
func (d *Destination) fetch(ctx context.Context, need map[string]bucket.Object) error {
	m := d.readManifest()
	var missing []string
	for key, o := range need {
		local := bucket.LocalFile(d.dir(), key)
		st, err := os.Stat(local)
		if had, ok := m[key]; ok && err == nil && st.Size() == o.Size && had.Size == o.Size && had.ETag == o.ETag {
			continue
		}
		missing = append(missing, key)
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, key := range missing {
		local := bucket.LocalFile(d.dir(), key)
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			return err
		}
		g.Go(func() error { return d.Remote.Download(gctx, d.Dataset+"/"+key, local, need[key]) })
	}
	err := g.Wait()
	m = d.readManifest() // another reader may have written it meanwhile
	for _, key := range missing {
		if st, serr := os.Stat(bucket.LocalFile(d.dir(), key)); serr == nil && st.Size() == need[key].Size {
			m[key] = need[key]
		}
	}
	if werr := d.writeManifest(m); err == nil {
		err = werr
	}
	return err
}

// pruneCache deletes the cache's files named like ours that keep does not hold; a load's
// temporary files stay (their load deletes them).
func (d *Destination) pruneCache(keep map[string]bool) {
	entries, err := os.ReadDir(d.dir())
	if err != nil {
		return
	}
	m := d.readManifest()
	changed := false
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(d.dir(), e.Name()))
		for _, f := range files {
			key := e.Name() + "/" + f.Name()
			stale := strings.HasSuffix(f.Name(), ".download")
			if (ours.MatchString(f.Name()) && !strings.HasSuffix(f.Name(), ".tmp") && !keep[key]) || stale {
				_ = os.Remove(filepath.Join(d.dir(), e.Name(), f.Name()))
				if _, ok := m[key]; ok {
					delete(m, key)
					changed = true
				}
			}
		}
	}
	if changed {
		_ = d.writeManifest(m)
	}
}

// lockRemote takes the dataset's lock object.
func (d *Destination) lockRemote(ctx context.Context) (*bucket.Lock, error) {
	lock, err := d.Remote.Lock(ctx, d.Dataset+"/"+remoteLock, d.Lease)
	var held *bucket.HeldError
	if errors.As(err, &held) {
		return nil, fmt.Errorf("%w: %s is being loaded (%v); try again when it is done", dest.ErrInUse, d.remoteLocation(), held)
	}
	return lock, err
}

// collectRemote deletes the bucket's objects named like ours that snap does not hold:
// left by a killed load, or replaced by a later one. The caller holds the lock.
func (d *Destination) collectRemote(ctx context.Context, snap *snapshot, objs listing) error {
	keep := map[string]bool{}
	for _, files := range snap.files {
		for _, f := range files {
			keep[filepath.ToSlash(f)] = true
		}
	}
	for _, t := range systemTables {
		for _, id := range snap.loads {
			keep[t+"/"+id+parquetExt] = true
		}
	}
	for key := range objs {
		dir, name, ok := strings.Cut(key, "/")
		if !ok || strings.Contains(name, "/") || strings.HasPrefix(dir, ".") || !ours.MatchString(name) || keep[key] {
			continue
		}
		if err := d.Remote.Delete(ctx, d.Dataset+"/"+key); err != nil {
			return err
		}
	}
	return nil
}

// upload sends the load's files up under their final names: the tables' files four at
// a time, then the system tables', and _dlt_loads last, once the lock is checked: its
// upload commits the load.
func (l *load) upload(ctx context.Context, files []string) error {
	var data, system, commit []string
	for _, rel := range files {
		switch table := filepath.Dir(rel); {
		case table == loadsTable:
			commit = append(commit, rel)
		case slices.Contains(systemTables, table):
			system = append(system, rel)
		default:
			data = append(data, rel)
		}
	}
	send := func(ctx context.Context, rel string) error {
		final := strings.TrimSuffix(rel, ".tmp")
		if err := l.d.Remote.Upload(ctx, filepath.Join(l.d.dir(), rel), l.d.Dataset+"/"+filepath.ToSlash(final)); err != nil {
			return err
		}
		l.mu.Lock()
		l.uploaded = append(l.uploaded, final)
		l.mu.Unlock()
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, rel := range data {
		g.Go(func() error { return send(gctx, rel) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, rel := range system {
		if err := send(ctx, rel); err != nil {
			return err
		}
	}
	if err := l.lock.Held(ctx); err != nil {
		return err
	}
	for _, rel := range commit {
		if err := send(ctx, rel); err != nil {
			return err
		}
	}
	l.committed = true
	return nil
}

// abortRemote deletes what an uncommitted load uploaded; whatever is left the next
// load deletes.
func (l *load) abortRemote() {
	if l.committed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, final := range l.uploaded {
		_ = l.d.Remote.Delete(ctx, l.d.Dataset+"/"+filepath.ToSlash(final))
	}
}
