package pcap2table

import (
	"os"
	"path/filepath"
	"strings"
)

// outputs are the paths the plan would write: a file per table (or one),
// or a dataset folder per table that the run replaces whole.
func (p *plan) outputs(o *Options) (files, folders []string) {
	if p.stdout {
		return nil, nil
	}
	for _, t := range p.tables {
		switch {
		case p.by != 0:
			folders = append(folders, filepath.Join(o.Output, t.schema.Name))
		case p.folder:
			files = append(files, filepath.Join(o.Output, t.schema.Name+p.format.Exts[0]))
		default:
			files = append(files, o.Output)
		}
	}
	return files, folders
}

// checkOverwrite refuses a run that would write over one of its inputs: a
// table's file that is an input (the same file, however named: a
// relative or absolute path, a symlink, a hard link), or a dataset folder
// that holds one. It runs before any input is read.
func checkOverwrite(inputs []string, p *plan, o *Options) error {
	files, folders := p.outputs(o)
	if len(files)+len(folders) == 0 {
		return nil
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		ist, err := os.Stat(in)
		if err != nil {
			continue // openInputs says why
		}
		for _, f := range files {
			if ost, err := os.Stat(f); err == nil && os.SameFile(ist, ost) {
				return usagef("refusing to write %s: it is the input %s", f, in)
			}
		}
		for _, dir := range folders {
			if within(in, dir) {
				return usagef("refusing to replace the folder %s: it holds the input %s", dir, in)
			}
		}
	}
	return nil
}

// within reports whether path (a file) lies in folder dir, once both are
// resolved (symlinks followed, made absolute).
func within(path, dir string) bool {
	rp, err1 := filepath.EvalSymlinks(path)
	rd, err2 := filepath.EvalSymlinks(dir)
	if err1 != nil || err2 != nil {
		return false // the folder does not exist yet: nothing to replace
	}
	rp, err1 = filepath.Abs(rp)
	rd, err2 = filepath.Abs(rd)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.HasPrefix(rp, rd+string(filepath.Separator))
}
