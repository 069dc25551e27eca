package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"

	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// resource extracts one resource into the load package. Pages are fetched by one
// goroutine while the previous page is normalized by this one.
func (e *extractor) resource(ctx context.Context, r Resource) (*resourceResult, error) {
	norm := normalize.New(e.base, normalize.Options{
		Resource: r.Name, Disposition: string(r.Disposition), PrimaryKey: r.PrimaryKey,
		Contract: r.Contract, MaxNesting: r.MaxNesting, LoadID: e.loadID,
		MaxIdentifierLength: e.plan.MaxIdentifierLength(),
	}, e.pkg)
	res := &resourceResult{info: ResourceInfo{Name: r.Name, Endpoint: r.Endpoint.Name}, cursorField: r.Cursor}
	inc := newIncremental(r.Cursor, e.state.Cursor(r.Name, r.Cursor))
	res.info.CursorBefore = inc.last

	var err error
	if r.Endpoint.Parent != "" {
		err = e.details(ctx, r, norm, inc, res)
	} else {
		err = e.list(ctx, r, norm, inc, res)
	}
	if err != nil {
		return nil, err
	}
	if res.hash != nil && !res.info.Truncated {
		res.contentHash = hex.EncodeToString(res.hash.Sum(nil))
	}
	res.schema = norm.Schema()
	res.stats = norm.Stats()
	res.newCursor = inc.max
	res.info.CursorAfter = inc.max
	if inc.max == "" {
		res.info.CursorAfter = inc.last
	}
	e.report(r.Name, res, -1, rowsOf(res.stats), true)
	return res, nil
}

// incremental filters records on a cursor field: those at or before the last loaded
// value are skipped; the largest value seen becomes the next run's.
type incremental struct {
	field, last, max string
}

func newIncremental(field, last string) *incremental {
	return &incremental{field: field, last: last}
}

// keep reports whether a record is new, and tracks the largest cursor.
func (inc *incremental) keep(v jsonv.Value) bool {
	if inc.field == "" {
		return true
	}
	c, ok := cursorText(v, inc.field)
	if !ok {
		return true // a record without the field is always loaded
	}
	if inc.max == "" || compareCursor(c, inc.max) > 0 {
		inc.max = strings.Clone(c) // c shares the page's bytes
	}
	return inc.last == "" || compareCursor(c, inc.last) > 0
}

// listQuery builds the page query of a list resource. With an incremental cursor and
// an endpoint that sorts, newest first: paging stops at the first record already loaded.
func listQuery(r Resource, path string, sortable bool, cursor string) (secoda.PageQuery, bool) {
	params := url.Values{}
	for k, v := range r.Params {
		params[k] = v
	}
	if r.Filter != "" {
		params.Set("filter", r.Filter)
	}
	newestFirst := false
	switch {
	case r.Sort != "":
		params.Set("sort", r.Sort)
	case sortable && cursor != "":
		params.Set("sort", fmt.Sprintf(`{"field":%q,"order":"desc","tie_breaker":null}`, cursor))
		newestFirst = true
	}
	return secoda.PageQuery{Path: path, Params: params, Selector: r.Endpoint.Selector, PageCap: r.PageCap}, newestFirst
}

// pageResult is a fetched page with its records parsed, or the error that ended paging.
type pageResult struct {
	page    *secoda.Page
	records []jsonv.Value
	err     error
}

// prefetcher runs the page iterator in its own goroutine, one page ahead, and parses
// each page's records there too, so that the normalizer's goroutine only normalizes.
type prefetcher struct {
	pages <-chan pageResult
	more  chan struct{}
	stop  func()
}

// prefetch starts the pages of q. It fetches no more than limit pages (0: all). With
// holdFirst (a newest-first incremental read, which often stops after its first page)
// it fetches the second page only once the consumer calls next: an unchanged
// workspace then costs one request, not two.
func prefetch(ctx context.Context, c *secoda.Client, q secoda.PageQuery, limit int, holdFirst bool) *prefetcher {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan pageResult, 1)
	p := &prefetcher{pages: ch, more: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ch)
		sent := 0
		for page, err := range c.Pages(ctx, q) {
			var records []jsonv.Value
			if err == nil {
				records = make([]jsonv.Value, len(page.Records))
				for i, raw := range page.Records {
					if records[i], err = jsonv.Parse(raw); err != nil {
						err = fmt.Errorf("page %d: a record is not JSON: %w", page.Number, err)
						break
					}
				}
			}
			select {
			case ch <- pageResult{page, records, err}:
			case <-ctx.Done():
				return
			}
			if sent++; err != nil || sent == limit {
				return
			}
			if holdFirst && sent == 1 {
				select {
				case <-p.more:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	p.stop = func() { cancel(); wg.Wait() }
	return p
}

// next tells the prefetcher the consumer goes on past a page.
func (p *prefetcher) next() {
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// list extracts a paginated (or bare-array) endpoint.
func (e *extractor) list(ctx context.Context, r Resource, norm *normalize.Normalizer, inc *incremental, res *resourceResult) error {
	q, newestFirst := listQuery(r, r.Endpoint.Path, r.Endpoint.CatalogQuery, r.Cursor)
	if r.Cursor == "" && r.Disposition != secoda.Append {
		res.hash = sha256.New() // to tell an unchanged endpoint from a changed one
	}
	pf := prefetch(ctx, e.client, q, e.opts.MaxPages, newestFirst)
	defer pf.stop()
	for pr := range pf.pages {
		if pr.err != nil {
			return pr.err
		}
		res.info.Pages++
		reachedOld := false
		for i, v := range pr.records {
			if res.hash != nil {
				raw := pr.page.Records[i]
				var n [8]byte
				binary.LittleEndian.PutUint64(n[:], uint64(len(raw)))
				res.hash.Write(n[:])
				res.hash.Write(raw)
			}
			res.info.Records++
			if !inc.keep(v) {
				res.info.Skipped++
				reachedOld = true
				continue
			}
			if err := norm.Record(v); err != nil {
				return err
			}
		}
		e.report(r.Name, res, pr.page.TotalPages, rowsOf(norm.Stats()), false)
		if newestFirst && reachedOld {
			break // newest first: everything after this is already loaded
		}
		if e.opts.MaxPages > 0 && res.info.Pages >= e.opts.MaxPages {
			res.info.Truncated = true
			break
		}
		pf.next()
	}
	return ctx.Err()
}

// details extracts resource_detail: the ids of the parent list, each fetched whole by
// a few workers. Ids flow through a small channel, so they are never all in memory.
func (e *extractor) details(ctx context.Context, r Resource, norm *normalize.Normalizer, inc *incremental, res *resourceResult) error {
	parent, _ := secoda.LookupEndpoint(r.Endpoint.Parent)
	q, newestFirst := listQuery(Resource{Endpoint: parent, PageCap: r.PageCap}, parent.Path, parent.CatalogQuery, r.Cursor)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	ids := make(chan string, e.plan.DetailConcurrency)
	type fetched struct {
		raw []byte
	}
	out := make(chan fetched, e.plan.DetailConcurrency)
	var workers sync.WaitGroup
	var missing sync.Map
	for range max(1, e.plan.DetailConcurrency) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for id := range ids {
				raw, err := e.client.Get(ctx, strings.Replace(r.Endpoint.Path, "{id}", url.PathEscape(id), 1), nil)
				if errors.Is(err, secoda.ErrNotFound) {
					missing.Store(id, true) // deleted between the list and the fetch
					continue
				}
				if err != nil {
					cancel(err)
					return
				}
				select {
				case out <- fetched{raw}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	// The single consumer: the normalizer is not safe for concurrent use.
	var consumeErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range out {
			if consumeErr != nil {
				continue
			}
			v, err := jsonv.Parse(f.raw)
			if err == nil {
				res.mu.Lock()
				res.info.Records++
				res.mu.Unlock()
				err = norm.Record(v)
			}
			if err != nil {
				consumeErr = err
				cancel(err)
			}
		}
	}()

	feedErr := func() error {
		defer close(ids)
		pf := prefetch(ctx, e.client, q, e.opts.MaxPages, newestFirst)
		defer pf.stop()
		for pr := range pf.pages {
			if pr.err != nil {
				return pr.err
			}
			res.mu.Lock()
			res.info.Pages++
			res.mu.Unlock()
			reachedOld := false
			for _, v := range pr.records {
				if !inc.keep(v) {
					res.mu.Lock()
					res.info.Skipped++
					res.mu.Unlock()
					reachedOld = true
					continue
				}
				id, ok := cursorText(v, parent.PrimaryKey)
				if !ok {
					continue
				}
				select {
				case ids <- strings.Clone(id):
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			}
			e.report(r.Name, res, pr.page.TotalPages, -1, false)
			if newestFirst && reachedOld {
				return nil
			}
			if e.opts.MaxPages > 0 && res.info.Pages >= e.opts.MaxPages {
				res.info.Truncated = true
				return nil
			}
			pf.next()
		}
		return nil
	}()
	workers.Wait()
	close(out)
	<-done
	missing.Range(func(_, _ any) bool { res.info.Missing++; return true })
	if feedErr != nil {
		return feedErr
	}
	if consumeErr != nil {
		return consumeErr
	}
	return context.Cause(ctx)
}

// report tells the caller's Progress of a page; rows is -1 where it is not known.
func (e *extractor) report(name string, res *resourceResult, totalPages int, rows int64, done bool) {
	if e.opts.Progress == nil {
		return
	}
	res.mu.Lock()
	p := Progress{Resource: name, Pages: res.info.Pages, TotalPages: totalPages, Records: res.info.Records,
		Skipped: res.info.Skipped, Rows: rows, Done: done}
	res.mu.Unlock()
	e.opts.Progress(p)
}

func rowsOf(st normalize.Stats) int64 {
	var n int64
	for _, r := range st.Rows {
		n += r
	}
	return n
}
