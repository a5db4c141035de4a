package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/toolaudit/toolaudit"
)

func main() { fmt.Println(toolaudit.Version, (&cobra.Command{}).Name()) }
