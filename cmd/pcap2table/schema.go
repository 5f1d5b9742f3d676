package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pcap2table/pcap2table"
	"github.com/spf13/cobra"
)

func newSchemaCmd(e *env) *cobra.Command {
	var asJSON, asMarkdown bool
	c := &cobra.Command{
		Use:   "schema [TABLE]",
		Short: "Print the columns of a table (default: packets)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErr{fmt.Errorf("schema takes one table name, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "packets"
			if len(args) == 1 {
				name = args[0]
			}
			s := pcap2table.Schema(name)
			if s == nil {
				return usageErr{fmt.Errorf("unknown table %q (tables: %s)", name, strings.Join(pcap2table.TableNames(), ", "))}
			}
			switch {
			case asJSON:
				type col struct {
					Name     string `json:"name"`
					Type     string `json:"type"`
					Nullable bool   `json:"nullable"`
					Doc      string `json:"doc"`
				}
				var cols []col
				for _, c := range s.Columns {
					cols = append(cols, col{c.Name, c.Type.String(), c.Nullable, c.Doc})
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"table": s.Name, "version": s.Version, "columns": cols})
			case asMarkdown:
				_, err := io.WriteString(e.stdout, s.Markdown())
				return err
			}
			fmt.Fprintf(e.stdout, "table %s (schema version %d)\n", s.Name, s.Version)
			for _, c := range s.Columns {
				null := ""
				if c.Nullable {
					null = "null"
				}
				fmt.Fprintf(e.stdout, "  %-14s %-20s %-5s %s\n", c.Name, c.Type, null, c.Doc)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&asMarkdown, "markdown", false, "print Markdown")
	return c
}
