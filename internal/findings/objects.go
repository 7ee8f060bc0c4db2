package findings

import (
	"fmt"
	"strings"
)

// The objects of DefectDojo's hierarchy that the API creates, reads,
// changes and deletes (product types, products, engagements, tests), and
// those it only lists and reads or creates (test types, users): each is
// a table and the fields DefectDojo's serializer has, described once
// here, so that one body of code checks, stores and shows them all.

// fieldKind is how a field is read from a request and stored.
type fieldKind int

const (
	textField     fieldKind = iota // a string of at most maxLen characters
	intField                       // an integer
	refField                       // the id of an object of the table ref
	boolField                      // true/false, "true", "True", "1", "yes", "on"…
	dateField                      // YYYY-MM-DD
	dateTimeField                  // RFC 3339
	tagsField                      // a list of strings (or one comma-separated string)
	choiceField                    // one of choices
	passwordField                  // written as a bcrypt hash, never shown
)

// field is one field of an object, named as DefectDojo names it (the
// JSON key and, unless column says otherwise, the column).
type field struct {
	name     string
	kind     fieldKind
	column   string // the column, when not name
	required bool   // on create, and on PUT
	// nullable fields take null; for a text field (DefectDojo's
	// null=True CharFields) the column holds '' for it.
	nullable bool
	// readOnly fields are shown, never written: expr is their SQL
	// (over the table aliased o), or the column.
	readOnly bool
	expr     string
	ref      string // refField: the table referred to
	choices  []string
	maxLen   int
	// def is what a create without the field stores (nil: the column's
	// default).
	def any
	// filter is how a list filters by the field: "" (not at all), "="
	// (exactly), "any" (comma-separated ids), "tag" (one of the tags),
	// "bool".
	filter string
}

func (f field) col() string {
	if f.column != "" {
		return f.column
	}
	return f.name
}

// object is one kind of object of the API.
type object struct {
	kind  string // its path under /api/v2/, e.g. "product_types"
	table string
	model string // DefectDojo's verbose name, in messages ("product type")
	// fields, "id" first; the id is never written.
	fields []field
	// unique are the fields no two objects share; "a,b" is a pair of
	// fields no two share together.
	unique []string
	// filters are list filters on other names than fields' (name_exact).
	filters map[string]listFilter
	// product is SQL for the product an object belongs to (over the table
	// aliased o), for the history the product pages show and for who may
	// see it; "" if none.
	product string
	// productType is SQL for the product type of an object whose
	// permissions are the type's (product types, their members).
	productType string
	// writable is false for the objects the API only shows and creates
	// (test types are not created; users are only created).
	creatable, changeable bool
	// updated is true when the table has an updated column to touch.
	updated bool
}

var (
	engagementStatuses = []string{"Not Started", "Blocked", "Cancelled", "Completed", "In Progress", "On Hold",
		"Scheduled", "Waiting for Resource"}
	engagementTypes     = []string{"Interactive", "CI/CD"}
	businessCriticality = []string{"very high", "high", "medium", "low", "very low", "none"}
	platforms           = []string{"web service", "desktop", "iot", "mobile", "web"}
	lifecycles          = []string{"construction", "production", "retirement"}
	origins             = []string{"third party library", "purchased", "contractor", "internal", "open source", "outsourced"}
)

func idField() field { return field{name: "id", kind: intField, readOnly: true, filter: "any"} }

func stamp(name, column string) field {
	return field{name: name, kind: dateTimeField, column: column, readOnly: true}
}

var objects = map[string]*object{
	"product_types": {
		kind: "product_types", table: "product_types", model: "product type", creatable: true, changeable: true, updated: true,
		productType: "o.id",
		fields: []field{idField(),
			{name: "name", kind: textField, required: true, maxLen: 255, filter: "="},
			{name: "description", kind: textField, maxLen: 4000, nullable: true},
			{name: "critical_product", kind: boolField, filter: "bool"},
			{name: "key_product", kind: boolField, filter: "bool"},
			stamp("updated", ""), stamp("created", ""),
		},
		unique: []string{"name"},
	},
	"products": {
		kind: "products", table: "products", model: "product", creatable: true, changeable: true, updated: true,
		product: "o.id",
		fields: []field{idField(),
			{name: "name", kind: textField, required: true, maxLen: 255, filter: "ilike"},
			{name: "description", kind: textField, required: true, maxLen: 4000},
			{name: "prod_type", kind: refField, ref: "product_types", required: true, filter: "any"},
			{name: "tags", kind: tagsField, filter: "tag"},
			{name: "business_criticality", kind: choiceField, choices: businessCriticality, nullable: true},
			{name: "platform", kind: choiceField, choices: platforms, nullable: true},
			{name: "lifecycle", kind: choiceField, choices: lifecycles, nullable: true},
			{name: "origin", kind: choiceField, choices: origins, nullable: true},
			{name: "external_audience", kind: boolField},
			{name: "internet_accessible", kind: boolField},
			{name: "enable_simple_risk_acceptance", kind: boolField},
			{name: "enable_full_risk_acceptance", kind: boolField},
			{name: "product_manager", kind: refField, ref: "dd_users", nullable: true},
			{name: "technical_contact", kind: refField, ref: "dd_users", nullable: true},
			{name: "team_manager", kind: refField, ref: "dd_users", nullable: true},
			stamp("updated", ""), stamp("created", ""),
		},
		unique:  []string{"name"},
		filters: map[string]listFilter{"name_exact": {"name", "="}},
	},
	"engagements": {
		kind: "engagements", table: "engagements", model: "engagement", creatable: true, changeable: true, updated: true,
		product: "o.product",
		fields: []field{idField(),
			{name: "name", kind: textField, maxLen: 300, def: "", filter: "=", nullable: true},
			{name: "description", kind: textField, maxLen: 2000, nullable: true},
			{name: "version", kind: textField, maxLen: 100, filter: "=", nullable: true},
			{name: "product", kind: refField, ref: "products", required: true, filter: "any"},
			{name: "target_start", kind: dateField, required: true},
			{name: "target_end", kind: dateField, required: true},
			{name: "first_contacted", kind: dateField, nullable: true},
			{name: "engagement_type", kind: choiceField, choices: engagementTypes, def: "Interactive", filter: "="},
			{name: "status", kind: choiceField, choices: engagementStatuses, def: "Not Started", filter: "="},
			{name: "active", kind: boolField, filter: "bool"},
			{name: "lead", kind: refField, ref: "dd_users", nullable: true, filter: "any"},
			{name: "tags", kind: tagsField, filter: "tag"},
			{name: "reason", kind: textField, maxLen: 2000, nullable: true},
			{name: "tracker", kind: textField, maxLen: 200, nullable: true},
			{name: "test_strategy", kind: textField, maxLen: 200, nullable: true},
			{name: "threat_model", kind: boolField},
			{name: "api_test", kind: boolField},
			{name: "pen_test", kind: boolField},
			{name: "check_list", kind: boolField},
			{name: "done_testing", kind: boolField},
			{name: "deduplication_on_engagement", kind: boolField},
			{name: "build_id", kind: textField, maxLen: 150, nullable: true},
			{name: "commit_hash", kind: textField, maxLen: 150, nullable: true},
			{name: "branch_tag", kind: textField, maxLen: 150, nullable: true},
			{name: "source_code_management_uri", kind: textField, maxLen: 600, nullable: true},
			stamp("updated", ""), stamp("created", ""),
		},
	},
	"tests": {
		kind: "tests", table: "tests", model: "test", creatable: true, changeable: true, updated: true,
		product: "(SELECT e.product FROM engagements e WHERE e.id = o.engagement)",
		fields: []field{idField(),
			{name: "engagement", kind: refField, ref: "engagements", required: true, filter: "any"},
			{name: "test_type", kind: refField, ref: "test_types", required: true, filter: "any"},
			{name: "test_type_name", kind: textField, readOnly: true, expr: `(SELECT tt.name FROM test_types tt WHERE tt.id = o.test_type)`},
			{name: "scan_type", kind: textField, maxLen: 200, filter: "="},
			{name: "title", kind: textField, maxLen: 255, def: "", filter: "=", nullable: true},
			{name: "description", kind: textField, maxLen: 2000, nullable: true},
			{name: "target_start", kind: dateTimeField, required: true},
			{name: "target_end", kind: dateTimeField, required: true},
			{name: "percent_complete", kind: intField, nullable: true},
			{name: "lead", kind: refField, ref: "dd_users", nullable: true},
			{name: "tags", kind: tagsField, filter: "tag"},
			{name: "version", kind: textField, maxLen: 100, nullable: true},
			{name: "build_id", kind: textField, maxLen: 150, nullable: true},
			{name: "commit_hash", kind: textField, maxLen: 150, nullable: true},
			{name: "branch_tag", kind: textField, maxLen: 150, nullable: true},
			stamp("updated", ""), stamp("created", ""),
		},
	},
	"test_types": {
		kind: "test_types", table: "test_types", model: "test type",
		fields: []field{idField(),
			{name: "name", kind: textField, readOnly: true, filter: "="},
			{name: "static_tool", kind: boolField, readOnly: true, expr: "false"},
			{name: "dynamic_tool", kind: boolField, readOnly: true, expr: "false"},
			{name: "active", kind: boolField, readOnly: true, expr: "true"},
			{name: "dynamically_generated", kind: boolField, readOnly: true, expr: "false"},
			{name: "tags", kind: tagsField, readOnly: true, expr: "'{}'::text[]"},
		},
	},
	"roles": {
		kind: "roles", table: "dd_roles", model: "role",
		fields: []field{idField(),
			{name: "name", kind: textField, readOnly: true, filter: "="},
			{name: "is_owner", kind: boolField, readOnly: true},
		},
	},
	"product_members": {
		kind: "product_members", table: "product_members", model: "product member", creatable: true, changeable: true,
		product: "o.product",
		fields: []field{idField(),
			{name: "product", kind: refField, ref: "products", required: true, filter: "any"},
			{name: "user", kind: refField, ref: "dd_users", column: "user_id", required: true, filter: "any"},
			{name: "role", kind: refField, ref: "dd_roles", required: true, filter: "any"},
		},
		unique: []string{"product,user"},
	},
	"product_type_members": {
		kind: "product_type_members", table: "product_type_members", model: "product type member", creatable: true, changeable: true,
		productType: "o.product_type",
		fields: []field{idField(),
			{name: "product_type", kind: refField, ref: "product_types", required: true, filter: "any"},
			{name: "user", kind: refField, ref: "dd_users", column: "user_id", required: true, filter: "any"},
			{name: "role", kind: refField, ref: "dd_roles", required: true, filter: "any"},
		},
		unique: []string{"product_type,user"},
	},
	"global_roles": {
		kind: "global_roles", table: "global_roles", model: "global role", creatable: true, changeable: true,
		fields: []field{idField(),
			{name: "user", kind: refField, ref: "dd_users", column: "user_id", required: true, filter: "any"},
			{name: "role", kind: refField, ref: "dd_roles", required: true, filter: "any"},
		},
		unique: []string{"user"},
	},
	"users": {
		kind: "users", table: "dd_users", model: "user", creatable: true, changeable: true,
		fields: []field{idField(),
			{name: "username", kind: textField, required: true, maxLen: 150, filter: "="},
			{name: "first_name", kind: textField, maxLen: 150},
			{name: "last_name", kind: textField, maxLen: 150},
			{name: "email", kind: textField, maxLen: 254, filter: "="},
			{name: "is_active", kind: boolField, filter: "bool"},
			{name: "is_superuser", kind: boolField, filter: "bool"},
			{name: "password", kind: passwordField, column: "password_hash", def: unusablePassword},
			stamp("date_joined", "created"),
			{name: "last_login", kind: dateTimeField, readOnly: true, nullable: true},
		},
		unique: []string{"username"},
	},
}

// unusablePassword is the hash of a user created without a password: no
// password matches it (a bcrypt hash never starts with "!").
const unusablePassword = "!"

// ObjectKinds are the objects the API serves, by their path.
func ObjectKinds() []string {
	return []string{"product_types", "products", "engagements", "tests", "test_types", "users", "roles",
		"product_members", "product_type_members", "global_roles"}
}

// Creatable says whether the API creates objects of a kind (POST).
func Creatable(kind string) bool { o := objects[kind]; return o != nil && o.creatable }

// Changeable says whether the API changes and deletes objects of a kind
// (PUT, PATCH, DELETE).
func Changeable(kind string) bool { o := objects[kind]; return o != nil && o.changeable }

// selectSQL selects the objects' fields as DefectDojo writes them in
// JSON (dates YYYY-MM-DD, times in UTC with microseconds and Z), over
// the table aliased o.
func (ob *object) selectSQL() string {
	var cols []string
	for _, f := range ob.fields {
		if f.kind == passwordField {
			continue
		}
		expr := "o." + f.col()
		if f.expr != "" {
			expr = f.expr
		}
		switch f.kind {
		case dateTimeField:
			expr = fmt.Sprintf(`to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, expr)
		case dateField:
			expr = fmt.Sprintf(`to_char(%s, 'YYYY-MM-DD')`, expr)
		}
		cols = append(cols, expr+` AS "`+f.name+`"`)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + ob.table + " o"
}

func (ob *object) field(name string) (field, bool) {
	for _, f := range ob.fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// ObjectField describes one field of an API object, for its documents.
type ObjectField struct {
	Name string
	// Type is string, integer, boolean, date, date-time, tags, choice or
	// password (written, never shown).
	Type                         string
	Required, Nullable, ReadOnly bool
	Choices                      []string
	MaxLength                    int
	// Ref is the kind an integer field refers to ("" if none).
	Ref string
	// Filter is how a list filters by the field ("" if it does not).
	Filter string
}

// ObjectInfo describes one kind of API object, for its documents.
type ObjectInfo struct {
	Kind, Model           string
	Fields                []ObjectField
	Creatable, Changeable bool
	// Filters are list parameters of other names than fields'.
	Filters map[string]string
}

var kindNames = map[fieldKind]string{textField: "string", intField: "integer", refField: "integer", boolField: "boolean",
	dateField: "date", dateTimeField: "date-time", tagsField: "tags", choiceField: "choice", passwordField: "password"}

var tableKinds = map[string]string{"product_types": "product_types", "products": "products", "engagements": "engagements",
	"tests": "tests", "test_types": "test_types", "dd_users": "users", "dd_roles": "roles"}

// Objects describes the API's objects, in ObjectKinds' order.
func Objects() []ObjectInfo {
	var out []ObjectInfo
	for _, kind := range ObjectKinds() {
		ob := objects[kind]
		info := ObjectInfo{Kind: kind, Model: ob.model, Creatable: ob.creatable, Changeable: ob.changeable, Filters: map[string]string{}}
		for _, f := range ob.fields {
			info.Fields = append(info.Fields, ObjectField{Name: f.name, Type: kindNames[f.kind], Required: f.required,
				Nullable: f.nullable, ReadOnly: f.readOnly || f.name == "id", Choices: f.choices, MaxLength: f.maxLen,
				Ref: tableKinds[f.ref], Filter: f.filter})
		}
		for name, lf := range ob.filters {
			info.Filters[name] = lf.op + " " + lf.field
		}
		out = append(out, info)
	}
	return out
}
