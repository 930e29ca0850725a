//go:build tools

// Package tools keeps the kine command in this module's build list.
package tools

import _ "github.com/k3s-io/kine"
