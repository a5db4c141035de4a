// Package seaweedfs holds nothing but this comment: its module pins
// SeaweedFS (github.com/seaweedfs/seaweedfs/weed, see the tool line of
// go.mod), the S3 server that the object storage tests build and run.
package seaweedfs
