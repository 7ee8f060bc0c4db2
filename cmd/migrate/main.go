// Command migrate applies SecBot's database migrations and exits.
package main

import "github.com/secbot/secbot/internal/service"

func main() { service.Main("migrate", service.Migrate) }
