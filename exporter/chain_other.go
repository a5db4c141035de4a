//go:build !unix

package exporter

const nonBlock = 0
