// Command reporter answers CI pipelines on :5001: may this commit pass?
package main

import "github.com/secbot/secbot/internal/service"

func main() { service.Main("reporter", service.RunReporter) }
