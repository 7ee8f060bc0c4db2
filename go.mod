module github.com/secbot/secbot

go 1.26.8

require (
	github.com/joho/godotenv v1.5.1
	gopkg.in/yaml.v3 v3.0.1
)
