//go:build !linux

package reader

import "os"

func beneathSupported() bool { return false }

func openBeneath(*os.File, string) (*os.File, error) { return nil, errBeneathUnsupported }
