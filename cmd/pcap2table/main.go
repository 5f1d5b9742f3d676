// Command pcap2table converts packet captures into analysis tables.
package main

import "os"

func main() { os.Exit(int(Main(os.Args[1:]))) }
