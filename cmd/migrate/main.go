// Command migrate applies SecBot's database migrations and exits. With
// -create-database it first creates the database when missing, and with
// -print-addresses it prints the processes' addresses for make run.
package main

import (
	"context"
	"flag"
	"os"

	"github.com/secbot/secbot/internal/service"
)

func main() {
	create := flag.Bool("create-database", false, "create the database SECBOT_POSTGRES_DSN names when it does not exist, then migrate")
	addresses := flag.Bool("print-addresses", false, "print the processes' addresses and DEFECTDOJO__URL as shell assignments, and exit")
	flag.Parse()
	switch {
	case *addresses:
		service.Main("migrate", func(_ context.Context, b *service.Base) error { return service.PrintAddresses(os.Stdout, b) })
	case *create:
		service.Main("migrate", service.CreateAndMigrate)
	default:
		service.Main("migrate", service.Migrate)
	}
}
