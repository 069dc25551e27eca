package loadpkg

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// A package being built is resumable. After each page, the resource that read it calls
// Commit: its tables' rows are written out, and one line is appended to the package's
// journal with where each of its tables stands (bytes and rows) and a note of the
// resource's progress. A process killed at any point leaves a journal whose lines each
// describe a state the table files hold; Resume cuts the files back to the last such
// state and hands each resource its notes, so a rerun goes on from the last page read.
//
// Against a crash of the process, writing the lines in order is enough; against a crash
// of the machine, the files and the journal are synced at most every SyncEvery, and
// Resume keeps only lines whose marks the files on disk reach.

// SyncEvery is the longest a committed page may stay unsynced.
const SyncEvery = time.Second

const journalName = "journal.jsonl"

// Mark is where a table's spool file stood.
type Mark struct {
	Bytes int64 `json:"b"`
	Rows  int64 `json:"r"`
}

// line is one line of the journal: the run's header, or a resource's checkpoint.
type line struct {
	Run      json.RawMessage `json:"run,omitempty"`
	Resource string          `json:"res,omitempty"`
	Tables   map[string]Mark `json:"tables,omitempty"`
	Note     json.RawMessage `json:"note,omitempty"`
}

// Journal is what a package's journal says, up to its last consistent line.
type Journal struct {
	Header json.RawMessage
	// Notes holds each resource's notes, in the order committed.
	Notes map[string][]json.RawMessage
	// Complete is true when the package was finished (its manifest written) but not
	// yet loaded.
	Complete bool
	Manifest Manifest
}

// Header writes the journal's first line: what run builds the package.
func (w *Writer) Header(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.appendLine(line{Run: b})
}

// Commit writes out the rows resource has spooled so far and journals note with where
// each of its tables stands. Lines are synced to disk at most every SyncEvery.
func (w *Writer) Commit(resource string, note any) error {
	nb, err := json.Marshal(note)
	if err != nil {
		return err
	}
	w.mu.Lock()
	var files []*tableFile
	marks := map[string]Mark{}
	for name, tf := range w.tables {
		if tf.resource == resource {
			files = append(files, tf)
			marks[name] = Mark{tf.bytes, tf.rows}
		}
	}
	w.mu.Unlock()
	for _, tf := range files {
		if err := tf.w.Flush(); err != nil {
			return fmt.Errorf("writing the load package: %w", err)
		}
	}
	return w.appendLine(line{Resource: resource, Tables: marks, Note: nb})
}

func (w *Writer) appendLine(l line) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	w.jmu.Lock()
	defer w.jmu.Unlock()
	if w.journal == nil {
		if w.journal, err = w.root.OpenFile(journalName, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
			return fmt.Errorf("the load package's journal: %w", err)
		}
	}
	if _, err := w.journal.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("the load package's journal: %w", err)
	}
	if time.Since(w.synced) >= SyncEvery {
		return w.syncLocked()
	}
	return nil
}

// syncLocked syncs the table files, then the journal: a journal line on disk then never
// names rows that are not. The caller holds w.jmu.
func (w *Writer) syncLocked() error {
	w.mu.Lock()
	files := make([]*os.File, 0, len(w.tables))
	for _, tf := range w.tables {
		files = append(files, tf.f)
	}
	w.mu.Unlock()
	for _, f := range files {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if w.journal != nil {
		if err := w.journal.Sync(); err != nil {
			return err
		}
	}
	w.synced = time.Now()
	return nil
}

// ReadJournal reads the journal of the package in dir, without changing anything: for
// status, while a run may be writing it.
func ReadJournal(dir string) (*Journal, error) {
	root, err := projectfs.OpenFolder(dir)
	if err != nil {
		return nil, err
	}
	j, _, err := readJournal(root)
	return j, err
}

// entry is a resource's checkpoint as read back.
type entry struct {
	marks map[string]Mark
	note  json.RawMessage
	raw   []byte
}

func readJournal(root projectfs.Root) (*Journal, map[string][]entry, error) {
	f, err := root.OpenFile(journalName, os.O_RDONLY, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	j := &Journal{Notes: map[string][]json.RawMessage{}}
	entries := map[string][]entry{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for sc.Scan() {
		raw := sc.Bytes()
		var l line
		if json.Unmarshal(raw, &l) != nil {
			break // a line cut short by a crash: nothing after it was committed
		}
		if l.Run != nil {
			j.Header = l.Run
			continue
		}
		entries[l.Resource] = append(entries[l.Resource], entry{l.Tables, l.Note, bytes.Clone(raw)})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the load package's journal: %w", err)
	}
	for r, es := range entries {
		for _, e := range es {
			j.Notes[r] = append(j.Notes[r], e.note)
		}
	}
	if b, err := root.ReadFile(manifestName); err == nil && json.Unmarshal(b, &j.Manifest) == nil {
		j.Complete = true
	}
	return j, entries, nil
}

// Resume reopens the unfinished package in dir: each resource's tables are cut back to
// its last checkpoint that the files on disk hold, files no checkpoint names are
// removed, the journal is rewritten to those checkpoints, and the package takes rows
// again from there.
func Resume(dir string) (*Writer, *Journal, error) {
	root, err := projectfs.OpenFolder(dir)
	if err != nil {
		return nil, nil, err
	}
	j, entries, err := readJournal(root)
	if err != nil {
		return nil, nil, err
	}
	if j.Header == nil {
		return nil, nil, errors.New("the load package's journal has no header")
	}
	sizes := map[string]int64{}
	des, err := root.ReadDir(".")
	if err != nil {
		return nil, nil, err
	}
	for _, de := range des {
		if name, ok := strings.CutSuffix(de.Name(), ".rows"); ok {
			if fi, err := de.Info(); err == nil {
				sizes[name] = fi.Size()
			}
		}
	}
	keep := map[string]Mark{}
	owner := map[string]string{}
	kept := map[string][]entry{}
	for r, es := range entries {
		last := -1
		for i := len(es) - 1; i >= 0; i-- {
			ok := true
			for t, m := range es[i].marks {
				if sizes[t] < m.Bytes {
					ok = false
					break
				}
			}
			if ok {
				last = i
				break
			}
		}
		kept[r] = es[:last+1]
		if last >= 0 {
			for t, m := range es[last].marks {
				keep[t], owner[t] = m, r
			}
		}
	}
	w := &Writer{dir: dir, root: root, tables: map[string]*tableFile{}, synced: time.Now()}
	for name := range sizes {
		path := fileName(name)
		m, ok := keep[name]
		if !ok {
			if err := root.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, nil, err
			}
			continue
		}
		f, err := root.OpenFile(path, os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, err
		}
		if err := f.Truncate(m.Bytes); err != nil {
			f.Close()
			return nil, nil, err
		}
		if _, err := f.Seek(m.Bytes, 0); err != nil {
			f.Close()
			return nil, nil, err
		}
		w.tables[name] = &tableFile{f: f, w: bufio.NewWriterSize(f, 256<<10), rows: m.Rows, bytes: m.Bytes, resource: owner[name]}
	}
	// The journal, rewritten to what is kept: old lines past the cut must not come back
	// to life once the files grow past their marks again.
	var b bytes.Buffer
	hb, _ := json.Marshal(line{Run: j.Header})
	b.Write(append(hb, '\n'))
	j.Notes = map[string][]json.RawMessage{}
	resources := make([]string, 0, len(kept))
	for r := range kept {
		resources = append(resources, r)
	}
	sort.Strings(resources)
	for _, r := range resources {
		for _, e := range kept[r] {
			b.Write(append(e.raw, '\n'))
			j.Notes[r] = append(j.Notes[r], e.note)
		}
	}
	if err := writeSynced(root, journalName, b.Bytes()); err != nil {
		return nil, nil, err
	}
	return w, j, nil
}
