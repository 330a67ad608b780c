package jsonshape

import (
	"sort"
	"strings"
)

// Change is one difference of shape between two prints.
type Change struct {
	Path string `json:"path"`
	// What is "type" (the kinds at Path no longer overlap), "added" (a new
	// member of an object whose members were known) or "removed" (a member
	// that is gone; reported only by a strict comparison).
	What string `json:"what"`
	Was  Kinds  `json:"-"`
	Now  Kinds  `json:"-"`
}

func (c Change) String() string {
	p := c.Path
	if p == "" {
		p = "/"
	}
	switch c.What {
	case "type": // null is compatible with everything: not worth naming
		return p + " changed from " + c.Was.concrete().String() + " to " + c.Now.concrete().String()
	case "added":
		return p + " is new"
	}
	return p + " is gone"
}

// Describe renders up to n changes for a message.
func Describe(changes []Change, n int) string {
	var parts []string
	for i, c := range changes {
		if i == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "; ")
}

// Compare returns the changes of shape from ref to fresh, sorted by path.
//
// A loose comparison (strict false) is for answers to different requests
// (another record, another page): records legitimately differ, so the only
// change is a path whose non-null kinds no longer overlap ("type": a number
// that became an object, an id that became a string).
//
// A strict comparison is for the same request answered again: the record is
// the same, so a new member of an object whose members ref knew ("added")
// and a member that is gone from an object whose other members are still
// there ("removed") are changes too; a rename shows as both.
//
// Never a change, in either mode: a null where the other print had a value
// (null is compatible with every kind), elements of a list that was empty
// in the other print, members of an object that had none, and kinds that
// still overlap (a member that is sometimes a string and sometimes a number).
// Prints marked truncated are compared on their common paths only.
func Compare(ref, fresh Print, strict bool) []Change {
	var out []Change
	partial := ref.truncated || fresh.truncated
	var refKids, freshKids map[string]int
	if !partial {
		refKids, freshKids = children(ref), children(fresh)
	}
	for path, now := range fresh.paths {
		was, ok := ref.paths[path]
		switch {
		case ok:
			if was.concrete() != 0 && now.concrete() != 0 && was.concrete()&now.concrete() == 0 {
				out = append(out, Change{Path: path, What: "type", Was: was, Now: now})
			}
		case strict && !partial && now.concrete() != 0 && knownMember(ref, refKids, path):
			out = append(out, Change{Path: path, What: "added", Now: now})
		}
	}
	if strict && !partial {
		for path, was := range ref.paths {
			if _, ok := fresh.paths[path]; !ok && was.concrete() != 0 && knownMember(fresh, freshKids, path) {
				out = append(out, Change{Path: path, What: "removed", Was: was})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// knownMember reports whether path is a member of an object that p
// describes with at least one member (so its absence in p means something).
func knownMember(p Print, kids map[string]int, path string) bool {
	parent, last := split(path)
	if last == "[]" || last == "" {
		return false
	}
	return p.paths[parent]&KObject != 0 && kids[parent] > 0
}

// children counts the member paths under each object path of p.
func children(p Print) map[string]int {
	kids := make(map[string]int, len(p.paths))
	for path := range p.paths {
		if path == "" {
			continue
		}
		parent, last := split(path)
		if last != "[]" {
			kids[parent]++
		}
	}
	return kids
}

// split returns the parent path and the last segment of path.
func split(path string) (parent, last string) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

// Covers reports whether every path of fresh is in ref with no kind ref
// has not seen: merging fresh into ref would change nothing.
func Covers(ref, fresh Print) bool {
	if fresh.truncated && !ref.truncated {
		return false
	}
	for path, k := range fresh.paths {
		if ref.paths[path]&k != k {
			return false
		}
	}
	return true
}

// Merge returns ref with fresh added: the union of both, except that the
// subtrees of the paths whose kind changed are taken from fresh alone (the
// old kind is gone).
func Merge(ref, fresh Print, changes []Change) Print {
	out := Print{paths: make(map[string]Kinds, len(ref.paths)+len(fresh.paths)), truncated: ref.truncated || fresh.truncated}
	var dropped []string
	for _, c := range changes {
		if c.What == "type" {
			dropped = append(dropped, c.Path)
		}
	}
	for path, k := range ref.paths {
		if !under(path, dropped) {
			out.paths[path] = k
		}
	}
	for path, k := range fresh.paths {
		out.paths[path] |= k
	}
	return out
}

func under(path string, roots []string) bool {
	for _, r := range roots {
		if path == r || strings.HasPrefix(path, r+"/") {
			return true
		}
	}
	return false
}
