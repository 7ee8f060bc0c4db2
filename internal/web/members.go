package web

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
)

// The members of a product or a product type, on its page: everyone who
// may see it sees them; a Maintainer adds, changes and removes them, and
// only an Owner gives or takes the Owner role (the service decides, as
// for the API: the page offers what it would allow).

// membership is what a members section is about: a product or a product
// type.
type membership struct {
	kind  string // "product_members" or "product_type_members"
	field string // the membership's field naming it
	path  string // its page
}

var (
	productMembership     = membership{kind: "product_members", field: "product", path: "/product/"}
	productTypeMembership = membership{kind: "product_type_members", field: "product_type", path: "/product-type/"}
)

// members is the data of a members section: the members, the roles the
// user may give, and whether they may manage them at all.
func (p *Pages) members(c *fiber.Ctx, m membership, in int) (map[string]any, error) {
	ctx := c.UserContext()
	user := session(c).User
	list, err := p.Findings.Members(ctx, user, m.kind, in)
	if err != nil {
		return nil, err
	}
	var have findings.Permission
	if m.kind == productMembership.kind {
		have, err = p.Findings.PermissionOn(ctx, user, in)
	} else {
		have, err = p.Findings.PermissionOnProductType(ctx, user, in)
	}
	if err != nil {
		return nil, err
	}
	roles, err := p.Findings.Roles(ctx)
	if err != nil {
		return nil, err
	}
	var offered []findings.Role
	for _, r := range roles {
		if !r.IsOwner || have >= findings.Own {
			offered = append(offered, r)
		}
	}
	owner := map[int]bool{}
	for _, r := range roles {
		owner[r.ID] = r.IsOwner
	}
	return map[string]any{"Members": list, "Roles": offered, "OwnerRole": owner,
		"MayManage": have >= findings.Maintain, "MayOwn": have >= findings.Own,
		"MembersAction": m.path + strconv.Itoa(in) + "/members"}, nil
}

// changeMembers does what a members form asks: action=add (username,
// role), change (member, role) or remove (member).
func (p *Pages) changeMembers(m membership) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in, ok := input.ParseID(c.Params("id"))
		if !ok {
			return p.notFound(c, "There is no such page.")
		}
		ctx := c.UserContext()
		ss := session(c)
		if _, err := p.Findings.Members(ctx, ss.User, m.kind, in); errors.Is(err, findings.ErrNotFound) {
			return p.notFound(c, "There is no such page.") // what the user may not see does not exist
		} else if err != nil {
			return err
		}
		member := formValue(c, "member")
		role := formValue(c, "role")
		var err error
		switch action := formValue(c, "action"); action {
		case "add":
			username := formValue(c, "username")
			var uid int
			if uid, err = p.Findings.UserIDByName(ctx, username); errors.Is(err, findings.ErrNotFound) {
				return p.memberProblem(c, fiber.StatusBadRequest, "There is no active user "+strconv.Quote(username)+": check the username, or ask a superuser to create them.")
			}
			if err == nil {
				_, err = p.Findings.CreateObject(ctx, m.kind, ss.User, findings.Values{m.field: strconv.Itoa(in), "user": strconv.Itoa(uid), "role": role})
			}
		case "change":
			id, ok := input.ParseID(member)
			err = findings.ErrNotFound
			if ok {
				_, err = p.Findings.ChangeObject(ctx, m.kind, id, ss.User, findings.Values{"role": role}, true)
			}
		case "remove":
			id, ok := input.ParseID(member)
			err = findings.ErrNotFound
			if ok {
				err = p.Findings.DeleteObject(ctx, m.kind, id, ss.User)
			}
		default:
			return p.memberProblem(c, fiber.StatusBadRequest, "The form asked for an action SecBot does not know: "+strconv.Quote(action))
		}
		var ve *findings.ValidationError
		switch {
		case errors.As(err, &ve):
			return p.memberProblem(c, fiber.StatusBadRequest, "SecBot did not change the members: "+ve.Errors.String()+".")
		case errors.Is(err, findings.ErrForbidden):
			return p.memberProblem(c, fiber.StatusForbidden, "Your role does not let you do this: a Maintainer manages members, and only an Owner gives or takes the Owner role.")
		case errors.Is(err, findings.ErrNotFound):
			return p.notFound(c, "There is no such member here.")
		case err != nil:
			return err
		}
		p.Log.Info("members changed", "kind", m.kind, "in", in, "action", formValue(c, "action"), "user", ss.User.Username)
		return c.Redirect(m.path+strconv.Itoa(in)+"?done=members#members", fiber.StatusSeeOther)
	}
}

func (p *Pages) memberProblem(c *fiber.Ctx, status int, msg string) error {
	return p.render(c, status, "error", "Members not changed", map[string]any{"Message": msg})
}

// productType is a product type's page: its products the user may see,
// and its members.
func (p *Pages) productType(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, ok := input.ParseID(c.Params("id"))
	if !ok {
		return p.notFound(c, "There is no product type with this id.")
	}
	user := session(c).User
	_, all, err := p.Findings.Overview(ctx, user)
	if err != nil {
		return err
	}
	var products []findings.ProductSummary
	for _, prod := range all {
		if prod.ProductTypeID == id {
			products = append(products, prod)
		}
	}
	data, err := p.members(c, productTypeMembership, id)
	if errors.Is(err, findings.ErrNotFound) {
		return p.notFound(c, "There is no product type with this id.")
	}
	if err != nil {
		return err
	}
	name, err := p.Findings.ProductTypeName(ctx, id)
	if err != nil {
		return err
	}
	data["Name"], data["Products"], data["Severities"], data["Done"] = name, products, severities, c.Query("done")
	return p.render(c, fiber.StatusOK, "producttype", name, data)
}
