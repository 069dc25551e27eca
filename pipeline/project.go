package pipeline

import (
	"path/filepath"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// The files a run reads and writes in the project, each under projectfs's rule: the
// work folder (its lock and load packages) and the destination's files. The config's
// own are in configfile.go.

// workFolder is the plan's work folder, made when create is set; without it, a work
// folder that does not exist is an error wrapping fs.ErrNotExist. Before making it,
// the folder, its lock file and its packages folder are checked: a refusal comes
// before anything is written.
func workFolder(plan *Plan, create bool) (projectfs.Root, error) {
	project, err := projectfs.Open(plan.Dir)
	if err != nil {
		return projectfs.Root{}, err
	}
	if !create {
		return project.Sub(WorkDirName)
	}
	for _, p := range []struct {
		path string
		kind projectfs.Kind
	}{{WorkDirName, projectfs.Folder}, {lockFile(plan), projectfs.File}, {filepath.Join(WorkDirName, packagesName), projectfs.Folder}} {
		if _, err := project.Path(p.path, p.kind); err != nil {
			return projectfs.Root{}, err
		}
	}
	return project.MkdirAll(WorkDirName, 0o755)
}

// lockFile is the run's lock, relative to the project.
func lockFile(plan *Plan) string { return filepath.Join(WorkDirName, plan.PipelineName+".lock") }

// duckdbFile checks the DuckDB file, and the files DuckDB keeps beside it (its
// write-ahead log and its spill folder), against the project, and returns the file's
// path with its links resolved, for DuckDB, which opens it by name.
func duckdbFile(plan *Plan) (string, error) {
	project, err := projectfs.Open(plan.Dir)
	if err != nil {
		return "", err
	}
	path, err := project.Path(plan.DestinationPath, projectfs.File)
	if err != nil {
		return "", err
	}
	if _, err := project.Path(path+".wal", projectfs.File); err != nil {
		return "", err
	}
	if _, err := project.Path(path+".tmp", projectfs.Folder); err != nil {
		return "", err
	}
	return path, nil
}

// filesystemRoot checks the filesystem destination's folder and its dataset's folder
// against the project, and returns the folder with its links resolved. What the
// destination writes inside the dataset's folder it checks against that folder.
func filesystemRoot(plan *Plan) (string, error) {
	project, err := projectfs.Open(plan.Dir)
	if err != nil {
		return "", err
	}
	root, err := project.Path(plan.DestinationPath, projectfs.Folder)
	if err != nil {
		return "", err
	}
	if _, err := project.Path(filepath.Join(root, plan.DatasetName), projectfs.Folder); err != nil {
		return "", err
	}
	return root, nil
}

// cacheName is the cache folder of a bucket: its scheme, bucket and prefix, in one
// folder name the file system takes.
var cacheName = strings.NewReplacer("/", "_", "\\", "_", ":", "_", "..", "_")

// bucketCache is the local cache of a bucket dataset's committed files, made inside the
// project's work folder: .secoda-workbench/cache/<scheme>_<bucket>_<prefix>.
func bucketCache(plan *Plan) (string, error) {
	project, err := projectfs.Open(plan.Dir)
	if err != nil {
		return "", err
	}
	loc := plan.Bucket.Location
	name := cacheName.Replace(loc.Scheme + "_" + loc.Bucket + "_" + strings.TrimSuffix(loc.Prefix, "/"))
	dir, err := project.MkdirAll(filepath.Join(WorkDirName, CacheDirName, name), 0o755)
	if err != nil {
		return "", err
	}
	if _, err := dir.MkdirAll(plan.DatasetName, 0o755); err != nil {
		return "", err
	}
	return dir.Dir(), nil
}

// CacheDirName is the folder in the work folder that holds the caches of bucket datasets.
const CacheDirName = "cache"
