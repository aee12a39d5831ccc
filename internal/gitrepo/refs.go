package gitrepo

import (
	"errors"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrNoBranch is returned (wrapped) when the remote has no such branch, or no
// default branch to follow.
var ErrNoBranch = errors.New("branch not found on the remote")

// pickBranch finds branch, or the default branch when branch is "", among
// the references a remote advertises, and returns its name and commit.
func pickBranch(refs []*plumbing.Reference, branch string) (string, plumbing.Hash, error) {
	byName := make(map[plumbing.ReferenceName]*plumbing.Reference, len(refs))
	for _, ref := range refs {
		byName[ref.Name()] = ref
	}
	if branch == "" {
		name, err := defaultBranch(byName)
		if err != nil {
			return "", plumbing.ZeroHash, err
		}
		branch = name.Short()
	}
	ref, ok := byName[plumbing.NewBranchReferenceName(branch)]
	if !ok || ref.Type() != plumbing.HashReference {
		return "", plumbing.ZeroHash, fmt.Errorf("%w: %s", ErrNoBranch, branch)
	}
	return branch, ref.Hash(), nil
}

// defaultBranch follows the remote's HEAD. Servers that do not advertise
// where HEAD points get the branch with HEAD's commit, preferring main.
func defaultBranch(refs map[plumbing.ReferenceName]*plumbing.Reference) (plumbing.ReferenceName, error) {
	head, ok := refs[plumbing.HEAD]
	if !ok {
		return "", fmt.Errorf("%w: the remote advertises no HEAD", ErrNoBranch)
	}
	if head.Type() == plumbing.SymbolicReference {
		return head.Target(), nil
	}
	for _, name := range []plumbing.ReferenceName{plumbing.Main, plumbing.Master} {
		if ref, ok := refs[name]; ok && ref.Hash() == head.Hash() {
			return name, nil
		}
	}
	var matching []plumbing.ReferenceName
	for name, ref := range refs {
		if name.IsBranch() && ref.Hash() == head.Hash() {
			matching = append(matching, name)
		}
	}
	if len(matching) > 0 {
		return slices.Min(matching), nil
	}
	return "", fmt.Errorf("%w: no branch matches the remote HEAD %s", ErrNoBranch, head.Hash())
}
