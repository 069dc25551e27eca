//go:build !unix

package projectfs

import "os"

const openNonblock = 0

func setBlocking(*os.File) error { return nil }
