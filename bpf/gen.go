package bpf

// The generated loader and object are committed: building vigil needs no
// clang. `make generate` (or `go generate ./bpf`) rebuilds them with clang-14.
//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -target amd64,arm64 -type vigil_config -type vigil_data_event -type vigil_conn_event -type vigil_stat Capture capture.c
