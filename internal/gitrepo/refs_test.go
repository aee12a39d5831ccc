package gitrepo

import (
	"errors"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestPickBranch(t *testing.T) {
	h1 := plumbing.NewHash("1111111111111111111111111111111111111111")
	h2 := plumbing.NewHash("2222222222222222222222222222222222222222")
	branches := []*plumbing.Reference{
		plumbing.NewHashReference("refs/heads/main", h1),
		plumbing.NewHashReference("refs/heads/zeta", h2),
		plumbing.NewHashReference("refs/heads/alpha", h2),
	}
	with := func(head *plumbing.Reference) []*plumbing.Reference {
		return append([]*plumbing.Reference{head}, branches...)
	}
	tests := []struct {
		name   string
		refs   []*plumbing.Reference
		branch string
		want   string
		hash   plumbing.Hash
		err    bool
	}{
		{"explicit", branches, "zeta", "zeta", h2, false},
		{"explicit missing", branches, "dev", "", h1, true},
		{"symbolic HEAD", with(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/zeta")), "", "zeta", h2, false},
		{"hash HEAD prefers main", with(plumbing.NewHashReference(plumbing.HEAD, h1)), "", "main", h1, false},
		{"hash HEAD sorted", with(plumbing.NewHashReference(plumbing.HEAD, h2)), "", "alpha", h2, false},
		{"no HEAD", branches, "", "", h1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, hash, err := pickBranch(tt.refs, tt.branch)
			if tt.err {
				if !errors.Is(err, ErrNoBranch) {
					t.Fatalf("err = %v, want ErrNoBranch", err)
				}
				return
			}
			if err != nil || got != tt.want || hash != tt.hash {
				t.Fatalf("pickBranch = %s %s %v, want %s %s", got, hash, err, tt.want, tt.hash)
			}
		})
	}
}
