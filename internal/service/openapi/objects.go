package openapi

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
)

// The reporter's /api/v2/ objects (product types, products, engagements,
// tests, test types, users) are documented from the findings service's
// own description of them (findings.Objects), and the scan types from the
// parsers' registry, so the document cannot drift from what the API
// checks and answers.

// schemaNames are the objects' schemas, by kind.
var schemaNames = map[string]string{"product_types": "ProductType", "products": "Product", "engagements": "Engagement",
	"tests": "Test", "test_types": "TestType", "users": "DojoUser", "roles": "Role", "product_members": "ProductMember",
	"product_type_members": "ProductTypeMember", "global_roles": "GlobalRole"}

type obj = map[string]any

// objectsPart is the generated part of the reporter's document: the
// objects' routes and schemas, and the scan types.
func objectsPart() (part, error) {
	paths, schemas := obj{}, obj{}
	for _, info := range findings.Objects() {
		name := schemaNames[info.Kind]
		schemas[name] = shownSchema(info)
		if info.Creatable || info.Changeable {
			schemas[name+"Write"] = writeSchema(info)
		}
		list, one := "/api/v2/"+info.Kind+"/", "/api/v2/"+info.Kind+"/{id}/"
		paths[list] = listPath(info, name)
		paths[one] = onePath(info, name)
	}
	paths["/api/v2/engagements/{id}/close/"] = statusPath("Close an engagement", "Sets its status to Completed and makes it inactive.")
	paths["/api/v2/engagements/{id}/reopen/"] = statusPath("Reopen an engagement", "Sets its status to In Progress and makes it active.")
	schemas["ScanType"] = obj{"type": "string", "enum": parsers.ScanTypes(),
		"description": "The report's format: a scan type of DefectDojo's, by its exact name (GET /api/v2/test_types/ lists them too)"}
	data, err := json.Marshal(obj{"paths": paths, "components": obj{"schemas": schemas}})
	return part{name: "generated from findings.Objects and parsers.ScanTypes", data: data}, err
}

// property is a field's JSON schema in an answer (shown) or a request.
func property(f findings.ObjectField, shown bool) obj {
	p := obj{}
	switch f.Type {
	case "string", "password":
		p["type"] = "string"
		if f.MaxLength > 0 && !shown {
			p["maxLength"] = f.MaxLength
		}
	case "integer", "boolean":
		p["type"] = f.Type
	case "date", "date-time":
		p["type"], p["format"] = "string", f.Type
	case "tags":
		p["type"], p["items"] = "array", obj{"type": "string"}
		if !shown {
			p["description"] = "A list, or one text of tags separated by commas (else by spaces)"
		}
	case "choice":
		p["type"], p["enum"] = "string", f.Choices
	}
	if f.Type == "boolean" && !shown {
		p["description"] = "Also as text: true, True, 1, yes, on or their opposites"
	}
	if f.Ref != "" {
		p["description"] = "The id of one of /api/v2/" + f.Ref + "/"
	}
	if f.Nullable {
		p["nullable"] = true
	}
	return p
}

func shownSchema(info findings.ObjectInfo) obj {
	props, required := obj{}, []string{}
	for _, f := range info.Fields {
		if f.Type == "password" {
			continue
		}
		p := property(f, true)
		if f.Type == "date-time" || f.Type == "date" {
			p["nullable"] = f.Nullable
		}
		props[f.Name] = p
		required = append(required, f.Name)
	}
	return obj{"type": "object", "description": "A " + info.Model + ", as DefectDojo's API shows it",
		"required": required, "additionalProperties": false, "properties": props}
}

func writeSchema(info findings.ObjectInfo) obj {
	props, required := obj{}, []string{}
	for _, f := range info.Fields {
		if f.ReadOnly {
			continue
		}
		props[f.Name] = property(f, false)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	s := obj{"type": "object", "description": "The fields of a " + info.Model + " to set. Other fields are ignored, as DefectDojo ignores them; a change (PATCH) sends any of them, a create or PUT at least the required.",
		"properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func jsonAnswer(description, schema string) obj {
	return obj{"description": description, "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/" + schema}}}}
}

func ref(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }

var idParam = obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "integer"}}

// tagOf is the document's group of a kind's routes.
func tagOf(kind string) string {
	switch kind {
	case "users", "roles", "product_members", "product_type_members", "global_roles":
		return "auth"
	}
	return "context"
}

func common(tag string, ops obj) obj {
	for _, op := range ops {
		o := op.(obj)
		o["tags"], o["security"] = []string{tag}, []obj{{"TokenAuth": []string{}}}
		responses := o["responses"].(obj)
		responses["403"] = ref("responses", "TokenRefused")
		responses["500"] = ref("responses", "Internal")
	}
	return ops
}

func listPath(info findings.ObjectInfo, name string) obj {
	params := []obj{}
	for _, f := range info.Fields {
		if f.Filter != "" {
			params = append(params, obj{"name": f.Name, "in": "query", "description": filterText(f.Filter), "schema": obj{"type": "string"}})
		}
	}
	for param, how := range info.Filters {
		op, field, _ := strings.Cut(how, " ")
		params = append(params, obj{"name": param, "in": "query", "description": filterText(op) + " (" + field + ")", "schema": obj{"type": "string"}})
	}
	params = append(params, ref("parameters", "Limit"), ref("parameters", "Offset"))
	page := obj{"type": "object", "required": []string{"count", "next", "previous", "results"}, "additionalProperties": false,
		"properties": obj{
			"count":    obj{"type": "integer", "description": "All matches"},
			"next":     obj{"type": "string", "nullable": true, "description": "The next page's absolute URL, or null"},
			"previous": obj{"type": "string", "nullable": true, "description": "The previous page's absolute URL, or null"},
			"results":  obj{"type": "array", "items": obj{"$ref": "#/components/schemas/" + name}},
		}}
	ops := obj{"get": obj{"summary": "List " + info.Model + "s", "parameters": params,
		"description": "Unknown parameters are ignored, as DefectDojo does." + adminNote(info, "Listing users"),
		"responses": obj{"200": obj{"description": "One page", "content": obj{"application/json": obj{"schema": page}}},
			"400": ref("responses", "FieldErrors")}}}
	if info.Creatable {
		ops["post"] = obj{"summary": "Create a " + info.Model, "description": "Answers the " + info.Model + " made." + adminNote(info, "Creating users"),
			"requestBody": writeBody(name), "responses": obj{"201": jsonAnswer("The "+info.Model+" made", name),
				"400": ref("responses", "FieldErrors"), "415": ref("responses", "UnsupportedMediaType")}}
	}
	return common(tagOf(info.Kind), ops)
}

func onePath(info findings.ObjectInfo, name string) obj {
	ops := obj{"get": obj{"summary": "Read a " + info.Model, "parameters": []obj{idParam}, "description": adminNote(info, "Reading users"),
		"responses": obj{"200": jsonAnswer("The "+info.Model, name), "404": ref("responses", "NotFound")}}}
	if info.Changeable {
		for method, summary := range map[string]string{"put": "Replace", "patch": "Change"} {
			ops[method] = obj{"summary": summary + " a " + info.Model, "parameters": []obj{idParam}, "requestBody": writeBody(name),
				"description": "Fields not sent keep their values. Who changed what, and when, is recorded (the product page shows it).",
				"responses": obj{"200": jsonAnswer("The "+info.Model+" as it is now", name), "400": ref("responses", "FieldErrors"),
					"404": ref("responses", "NotFound"), "415": ref("responses", "UnsupportedMediaType")}}
		}
		ops["delete"] = obj{"summary": "Delete a " + info.Model, "parameters": []obj{idParam},
			"description": "Deletes everything it holds too, as DefectDojo does (a product type its products, a product its engagements, an engagement its tests, a test its findings). Needs the role docs/findings.md \"Permissions\" gives; an object the caller may not see is 404.",
			"responses":   obj{"204": obj{"description": "Deleted"}, "404": ref("responses", "NotFound")}}
	}
	return common(tagOf(info.Kind), ops)
}

func statusPath(summary, description string) obj {
	return common("context", obj{"post": obj{"summary": summary, "description": description + " DefectDojo answers 200 with an empty body; so does SecBot.",
		"parameters": []obj{idParam}, "responses": obj{"200": obj{"description": "Done (no body)"}, "404": ref("responses", "NotFound")}}})
}

func writeBody(name string) obj {
	schema := obj{"$ref": "#/components/schemas/" + name + "Write"}
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema},
		"application/x-www-form-urlencoded": obj{"schema": schema}, "multipart/form-data": obj{"schema": schema}}}
}

func adminNote(info findings.ObjectInfo, what string) string {
	if info.Kind != "users" {
		return ""
	}
	return fmt.Sprintf(" %s is for superusers: others are answered 403.", what)
}

func filterText(op string) string {
	return map[string]string{"=": "Exactly this value", "ilike": "A substring, any case", "any": "Comma-separated ids",
		"tag": "One of the tags", "bool": "true or false"}[op]
}
