package writers

import (
	"errors"
	"io/fs"
	"os"
)

// File is an output file written under a temporary name in the same folder
// and renamed to its final name by Commit, so that a failed run leaves no
// half-written file under the final name.
type File struct {
	*os.File
	final string
	done  bool
	// Sync makes Commit fsync the file before renaming it, so that it also
	// survives a power loss or kernel crash (the rename alone already
	// guarantees that the final name holds a whole file or none after any
	// failure of the process).
	Sync bool
}

// Create opens a temporary file beside path, locked for as long as it is
// open, after removing the temporaries of path that earlier runs, no longer
// alive, left behind (SweepTemporaries).
func Create(path string) (*File, error) {
	SweepTemporaries(path)
	tmp := tempName(path)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, plainErr(err)
	}
	lock(f)
	track(tmp)
	return &File{File: f, final: path}, nil
}

// TempName is the temporary name of the file.
func (f *File) TempName() string { return f.File.Name() }

// Write writes to the temporary file; an error does not name it (the
// caller names the output).
func (f *File) Write(b []byte) (int, error) {
	n, err := f.File.Write(b)
	return n, plainErr(err)
}

// Commit closes the file (after an fsync if Sync is set) and renames it to
// its final name.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	tmp := f.File.Name()
	var err error
	if f.Sync {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.final)
	}
	if err != nil {
		os.Remove(tmp)
	}
	untrack(tmp)
	return plainErr(err)
}

// plainErr is err without the path or paths of a *fs.PathError or
// *os.LinkError, which name the temporary output: the caller names the
// output the user asked for instead. errors.Is still sees the cause.
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Abort closes and removes the temporary file. It is a no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
	untrack(f.File.Name())
}
