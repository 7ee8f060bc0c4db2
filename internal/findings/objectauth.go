package findings

import (
	"context"
	"fmt"
)

// Who may see and change each kind of object, as DefectDojo 2.x has it:
// product types by their membership (or a product's in them), products,
// engagements, tests and product members by the product's, product type
// members by the type's; users and global roles are the superusers'.

// scope is what an object kind's permissions are taken on.
type scope int

const (
	anyone     scope = iota // every user reads; superusers write (test types, roles)
	superusers              // superusers only (users, global roles)
	onType                  // the product type (product types, their members)
	onProduct               // the product (products, engagements, tests, product members)
)

// access is a kind's scope and the permission each action needs.
type access struct {
	scope                  scope
	create, change, delete Permission
	// createIn is the field of a create's body naming what the new
	// object is in ("" for the object itself): a product's type, an
	// engagement's product, a test's engagement.
	createIn string
}

var accessOf = map[string]access{
	"product_types":        {scope: onType, create: 0, change: Maintain, delete: Own},
	"products":             {scope: onProduct, create: Maintain, change: Maintain, delete: Own, createIn: "prod_type"},
	"engagements":          {scope: onProduct, create: Import, change: Import, delete: Maintain, createIn: "product"},
	"tests":                {scope: onProduct, create: Import, change: Import, delete: Maintain, createIn: "engagement"},
	"product_members":      {scope: onProduct, create: Maintain, change: Maintain, delete: Maintain, createIn: "product"},
	"product_type_members": {scope: onType, create: Maintain, change: Maintain, delete: Maintain, createIn: "product_type"},
	"test_types":           {scope: anyone},
	"roles":                {scope: anyone},
	"users":                {scope: superusers},
	"global_roles":         {scope: superusers},
}

// visible is the SQL condition (over the table aliased o) keeping the
// objects u may see; args are appended to.
func (ob *object) visible(u User, args *[]any) string {
	a := accessOf[ob.kind]
	switch {
	case u.IsSuperuser || a.scope == anyone:
		return "true"
	case a.scope == superusers:
		return "false"
	case a.scope == onType:
		typeCol := ob.productType
		through := viaProducts(u, typeCol, args)
		n := fmt.Sprintf("$%d", len(*args))
		return "(" + through + " OR " +
			typeCol + " IN (SELECT product_type FROM product_type_members WHERE user_id = " + n + ") OR " +
			"EXISTS (SELECT FROM global_roles WHERE user_id = " + n + "))"
	}
	return readable(u, ob.product, args)
}

// viaProducts is the condition that u sees the product type typeCol
// through one of its products: a product's members see its type, with no
// permission on it.
func viaProducts(u User, typeCol string, args *[]any) string {
	return "EXISTS (SELECT FROM products p WHERE p.prod_type = " + typeCol + " AND " + readable(u, "p.id", args) + ")"
}

// authorize is nil when u may do action (needing want) to object id of
// ob, ErrNotFound when u may not see it, ErrForbidden when u may.
func (s *Service) authorize(ctx context.Context, q querier, u User, ob *object, id int, want Permission) error {
	if u.IsSuperuser {
		return nil
	}
	a := accessOf[ob.kind]
	var args []any
	args = append(args, id)
	var seen bool
	err := q.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+ob.table+" o WHERE o.id = $1 AND "+ob.visible(u, &args)+")", args...).Scan(&seen)
	switch {
	case err != nil:
		return err
	case !seen:
		return ErrNotFound
	case want == View:
		return nil
	case a.scope == anyone || a.scope == superusers:
		return ErrForbidden
	}
	have, err := s.permissionOfObject(ctx, q, u, ob, id)
	if err != nil {
		return err
	}
	if have < want {
		return ErrForbidden
	}
	return nil
}

// permissionOfObject is u's permission on what an object is scoped to.
func (s *Service) permissionOfObject(ctx context.Context, q querier, u User, ob *object, id int) (Permission, error) {
	if accessOf[ob.kind].scope == onType {
		var typ int
		if err := q.QueryRow(ctx, "SELECT "+ob.productType+" FROM "+ob.table+" o WHERE o.id = $1", id).Scan(&typ); err != nil {
			return 0, err
		}
		return s.PermissionOnProductType(ctx, u, typ)
	}
	var product int
	if err := q.QueryRow(ctx, "SELECT "+ob.product+" FROM "+ob.table+" o WHERE o.id = $1", id).Scan(&product); err != nil {
		return 0, err
	}
	return s.PermissionOn(ctx, u, product)
}

// authorizeCreate is nil when u may create an object of ob with vals.
// Where the new object goes must be one u may see (else the reference is
// "object does not exist", as for an id that does not), and u must have
// the kind's create permission there.
func (s *Service) authorizeCreate(ctx context.Context, q querier, u User, ob *object, vals map[string]any) error {
	a := accessOf[ob.kind]
	if u.IsSuperuser {
		return nil
	}
	if a.createIn == "" {
		return ErrForbidden
	}
	in, _ := vals[a.createIn].(int)
	var have Permission
	var err error
	switch a.createIn {
	case "prod_type", "product_type":
		// View when u sees the type through one of its products only.
		have, err = s.permissionIn(ctx, u, "product_type", in)
	case "product":
		have, err = s.PermissionOn(ctx, u, in)
	case "engagement":
		var product int
		if err = q.QueryRow(ctx, `SELECT product FROM engagements WHERE id = $1`, in).Scan(&product); err == nil {
			have, err = s.PermissionOn(ctx, u, product)
		}
	}
	switch {
	case err != nil:
		return err
	case have == 0:
		return &ValidationError{Errors: map[string][]string{a.createIn: {fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", in)}}}
	case have < a.create:
		return ErrForbidden
	}
	return nil
}

// permissionNames name the permissions, for the documents.
var permissionNames = map[Permission]string{View: "Reader", Import: "API Importer", Write: "Writer", Maintain: "Maintainer", Own: "Owner"}

// AccessRule says in words who may do an action (list, read, create,
// change, delete) to objects of a kind, for the API's rule table.
func AccessRule(kind, action string) (string, bool) {
	a, ok := accessOf[kind]
	if !ok {
		return "", false
	}
	switch a.scope {
	case anyone:
		if action == "list" || action == "read" {
			return "any user", true
		}
		return "superusers", true
	case superusers:
		return "superusers", true
	}
	on := "the product"
	if a.scope == onType {
		on = "the product type"
	}
	need := map[string]Permission{"list": View, "read": View, "create": a.create, "change": a.change, "delete": a.delete}[action]
	switch {
	case action == "list":
		return "any user; lists what they may see (Reader or more on " + on + ")", true
	case need == 0:
		return "superusers", true
	}
	where := on
	if action == "create" && a.createIn != "" {
		where = "what " + a.createIn + " names"
	}
	return permissionNames[need] + " or more on " + where, true
}
