//go:build tools

// Package tools pins the etcd server that hack/rig.d/etcd.sh builds:
//
//	go build -o DIR/ go.etcd.io/etcd/server/v3
package tools

import _ "go.etcd.io/etcd/server/v3"
