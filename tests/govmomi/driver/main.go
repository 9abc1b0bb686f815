// Command gosc-govmomi-driver runs what a govmomi (0.24) user does against a vCenter,
// here against gosc's SOAP endpoint at /sdk.  It is written as a govc or Terraform
// author writes such code: only govmomi's public API, nothing gosc-specific.
//
//	gosc-govmomi-driver -url https://127.0.0.1:PORT/sdk -user U -password P -prefix gv1 connect customize faults session
//
// One JSON object is printed per scenario, one per line: {"scenario": name, "result": {...}}
// or {"scenario": name, "error": "..."} when the scenario itself failed.  The exit status
// is 0 when every scenario ran (a fault a scenario expects is a result, not an error).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	vimdebug "github.com/vmware/govmomi/vim25/debug"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	guestUser     = "root"
	guestPassword = "VMware1!"
)

type args struct {
	url     *url.URL // with userinfo
	prefix  string
	timeout time.Duration
}

type result = map[string]interface{}

// ---------------------------------------------------------------- helpers

func check(err error, what string) {
	if err != nil {
		panic(fmt.Errorf("%s: %w", what, err))
	}
}

// typeName is the Go (= vim25 wsdl) name of a govmomi type: *types.NicSettingMismatch -> NicSettingMismatch.
func typeName(v interface{}) string {
	if v == nil {
		return ""
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return t.Name()
}

// faultInfo describes an error the way a govmomi caller inspects it: a SOAP fault
// (soap.IsSoapFault / ToSoapFault(err).VimFault()), or a task's LocalizedMethodFault.
func faultInfo(err error) result {
	if err == nil {
		return nil
	}
	out := result{"error": err.Error()}
	var fault interface{}
	switch {
	case soap.IsSoapFault(err):
		sf := soap.ToSoapFault(err)
		out["kind"] = "soap"
		out["faultcode"] = sf.Code
		out["faultstring"] = sf.String
		fault = sf.VimFault()
	case soap.IsVimFault(err):
		out["kind"] = "vim"
		fault = soap.ToVimFault(err)
	default:
		if te, ok := err.(task.Error); ok {
			out["kind"] = "task"
			out["localizedMessage"] = te.LocalizedMessage
			fault = te.LocalizedMethodFault.Fault
		} else {
			out["kind"] = "other"
			out["goType"] = fmt.Sprintf("%T", err)
		}
	}
	if fault != nil {
		out["type"] = typeName(fault)
		out["fields"] = fault
		// SOAP fault details decode as values, task errors as pointers; either way the
		// type is a vim25 MethodFault when its pointer implements BaseMethodFault.
		t := reflect.TypeOf(fault)
		if t.Kind() != reflect.Ptr {
			t = reflect.PtrTo(t)
		}
		out["isMethodFault"] = t.Implements(reflect.TypeOf((*types.BaseMethodFault)(nil)).Elem())
	}
	return out
}

func capture(fn func() error) result {
	return faultInfo(fn())
}

func connect(ctx context.Context, a args) *govmomi.Client {
	c, err := govmomi.NewClient(ctx, a.url, true) // insecure: gosc's certificate is self-signed
	check(err, "govmomi.NewClient")
	return c
}

func logout(ctx context.Context, c *govmomi.Client) {
	check(c.Logout(ctx), "Logout")
}

func findVM(ctx context.Context, c *vim25.Client, path string) *object.VirtualMachine {
	vm, err := find.NewFinder(c, true).VirtualMachine(ctx, path)
	check(err, "Finder.VirtualMachine "+path)
	return vm
}

func instantClone(ctx context.Context, c *vim25.Client, src *object.VirtualMachine, name string) *object.VirtualMachine {
	req := types.InstantClone_Task{
		This: src.Reference(),
		Spec: types.VirtualMachineInstantCloneSpec{Name: name, Location: types.VirtualMachineRelocateSpec{}},
	}
	res, err := methods.InstantClone_Task(ctx, c, &req)
	check(err, "InstantClone_Task")
	info, err := object.NewTask(c, res.Returnval).WaitForResult(ctx)
	check(err, "InstantClone_Task wait")
	ref, ok := info.Result.(types.ManagedObjectReference)
	if !ok {
		panic(fmt.Sprintf("InstantClone_Task result is %T, not a ManagedObjectReference", info.Result))
	}
	return object.NewVirtualMachine(c, ref)
}

func fixedIP(ip string, gateway ...string) types.CustomizationAdapterMapping {
	return types.CustomizationAdapterMapping{Adapter: types.CustomizationIPSettings{
		Ip:         &types.CustomizationFixedIp{IpAddress: ip},
		SubnetMask: "255.255.255.0",
		Gateway:    gateway,
	}}
}

func linuxSpec(host string, nics ...types.CustomizationAdapterMapping) types.CustomizationSpec {
	if len(nics) == 0 {
		nics = []types.CustomizationAdapterMapping{fixedIP("192.168.10.31", "192.168.10.1")}
	}
	return types.CustomizationSpec{
		Identity: &types.CustomizationLinuxPrep{
			HostName:   &types.CustomizationFixedName{Name: host},
			Domain:     "example.com",
			TimeZone:   "Europe/Berlin",
			HwClockUTC: types.NewBool(true),
		},
		GlobalIPSettings: types.CustomizationGlobalIPSettings{
			DnsServerList: []string{"192.168.10.2"},
			DnsSuffixList: []string{"example.com"},
		},
		NicSettingMap: nics,
	}
}

// customize starts CustomizeGuest_Task; the error is the call's (a SOAP fault).
func customize(ctx context.Context, c *govmomi.Client, vm types.ManagedObjectReference, password string,
	spec types.CustomizationSpec) (*object.Task, error) {
	req := types.CustomizeGuest_Task{
		This: *c.ServiceContent.GuestCustomizationManager,
		Vm:   vm,
		Auth: &types.NamePasswordAuthentication{Username: guestUser, Password: password},
		Spec: spec,
	}
	res, err := methods.CustomizeGuest_Task(ctx, c.Client, &req)
	if err != nil {
		return nil, err
	}
	return object.NewTask(c.Client, res.Returnval), nil
}

// taskError runs a customization to its end and describes the task's error.
func taskError(ctx context.Context, c *govmomi.Client, vm types.ManagedObjectReference, password string,
	spec types.CustomizationSpec) result {
	t, err := customize(ctx, c, vm, password, spec)
	if err != nil {
		out := faultInfo(err)
		out["unexpected"] = "the call failed, the task was not started"
		return out
	}
	return capture(func() error { return t.Wait(ctx) })
}

func guestProps(ctx context.Context, c *vim25.Client, vm types.ManagedObjectReference) mo.VirtualMachine {
	var m mo.VirtualMachine
	err := property.DefaultCollector(c).RetrieveOne(ctx, vm, []string{"name", "guest.hostName", "guest.ipAddress",
		"guest.toolsRunningStatus", "runtime.powerState"}, &m)
	check(err, "RetrieveOne guest")
	return m
}

// ---------------------------------------------------------------- scenarios

// connect: govmomi.NewClient (login from the URL's userinfo), About, Finder, a
// container view listing the VMs, and version negotiation via vimServiceVersions.xml.
func scenarioConnect(ctx context.Context, a args) result {
	c := connect(ctx, a)
	out := result{
		"clientVersion":                c.Client.Version, // what govmomi 0.24 speaks unless told otherwise
		"namespace":                    c.Client.Namespace,
		"about":                        c.ServiceContent.About.FullName,
		"apiVersion":                   c.ServiceContent.About.ApiVersion,
		"apiType":                      c.ServiceContent.About.ApiType,
		"isVC":                         c.IsVC(),
		"hasGuestCustomizationManager": c.ServiceContent.GuestCustomizationManager != nil,
	}
	us, err := c.SessionManager.UserSession(ctx)
	check(err, "UserSession")
	out["currentUser"] = us.UserName
	active, err := c.SessionManager.SessionIsActive(ctx)
	check(err, "SessionIsActive")
	out["sessionIsActive"] = active
	now, err := methods.GetCurrentTime(ctx, c)
	check(err, "CurrentTime")
	out["currentTimeSkew"] = time.Since(*now).Seconds()

	f := find.NewFinder(c.Client, true)
	dcs, err := f.DatacenterList(ctx, "*")
	check(err, "Finder.DatacenterList")
	var dcNames []string
	for _, dc := range dcs {
		dcNames = append(dcNames, dc.InventoryPath)
	}
	out["datacenters"] = dcNames
	dc, err := f.Datacenter(ctx, "DC0")
	check(err, "Finder.Datacenter DC0")
	f.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	check(err, "Datacenter.Folders")
	out["vmFolder"] = folders.VmFolder.InventoryPath
	vm, err := f.VirtualMachine(ctx, "demo-ubuntu")
	check(err, "Finder.VirtualMachine demo-ubuntu")
	out["vmPath"] = vm.InventoryPath
	out["vmRef"] = vm.Reference().Value
	vms, err := f.VirtualMachineList(ctx, "*")
	check(err, "Finder.VirtualMachineList")
	var finderNames []string
	for _, v := range vms {
		finderNames = append(finderNames, v.Name())
	}
	sort.Strings(finderNames)
	out["finderNames"] = finderNames
	ps, err := vm.PowerState(ctx)
	check(err, "VirtualMachine.PowerState")
	out["powerState"] = string(ps)
	hosts, err := f.HostSystemList(ctx, "*/*")
	if err != nil {
		hosts, err = f.HostSystemList(ctx, "*")
	}
	check(err, "Finder.HostSystemList")
	out["hosts"] = len(hosts)

	// The VMs through a container view, as govc ls / find and Terraform data sources do.
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	check(err, "CreateContainerView")
	var mvms []mo.VirtualMachine
	check(v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.powerState", "summary.config.name",
		"guest.hostName"}, &mvms), "ContainerView.Retrieve")
	props := map[string]result{}
	var viewNames []string
	for _, m := range mvms {
		viewNames = append(viewNames, m.Name)
		p := result{"powerState": string(m.Runtime.PowerState), "configName": m.Summary.Config.Name}
		if m.Guest != nil { // unset properties are left out, so Guest may be nil
			p["hostName"] = m.Guest.HostName
		}
		props[m.Name] = p
	}
	sort.Strings(viewNames)
	out["viewNames"] = viewNames
	out["viewProps"] = props
	found, err := v.Find(ctx, []string{"VirtualMachine"}, property.Filter{"name": "demo-*"})
	check(err, "ContainerView.Find")
	out["viewFind"] = len(found)
	check(v.Destroy(ctx), "ContainerView.Destroy")
	logout(ctx, c)

	// Version negotiation: vim25.NewClient + UseServiceVersion reads /sdk/vimServiceVersions.xml,
	// then every call goes out with SOAPAction "urn:vim25/<that version>".
	sc := soap.NewClient(a.url, true)
	vc, err := vim25.NewClient(ctx, sc)
	check(err, "vim25.NewClient")
	out["defaultVersion"] = vc.Version
	check(vc.UseServiceVersion(), "UseServiceVersion")
	out["negotiatedNamespace"] = vc.Namespace
	out["negotiatedVersion"] = vc.Version
	sm := session.NewManager(vc)
	check(sm.Login(ctx, a.url.User), "Login (negotiated version)")
	nvm := findVM(ctx, vc, "/DC0/vm/demo-ubuntu")
	g := guestProps(ctx, vc, nvm.Reference())
	out["negotiatedHostName"] = g.Guest.HostName
	content, err := methods.RetrieveServiceContent(ctx, vc, &types.RetrieveServiceContent{This: vim25.ServiceInstance})
	check(err, "RetrieveServiceContent (negotiated version)")
	out["negotiatedApiVersion"] = content.Returnval.About.ApiVersion
	check(sm.Logout(ctx), "Logout (negotiated version)")
	return out
}

// customize: InstantClone_Task, CustomizeGuest_Task, Task.WaitForResult, the guest's
// new identity through the PropertyCollector, and the customization's events.
func scenarioCustomize(ctx context.Context, a args) result {
	c := connect(ctx, a)
	defer logout(ctx, c)
	src := findVM(ctx, c.Client, "/DC0/vm/demo-ubuntu")
	clone := instantClone(ctx, c.Client, src, a.prefix+"-web")
	ref := clone.Reference()
	before := guestProps(ctx, c.Client, ref)
	cloneName, err := clone.ObjectName(ctx)
	check(err, "ObjectName")

	t, err := customize(ctx, c, ref, guestPassword, linuxSpec("gv-web01"))
	check(err, "CustomizeGuest_Task")
	info, err := t.WaitForResult(ctx)
	check(err, "CustomizeGuest_Task wait")
	after := guestProps(ctx, c.Client, ref)

	// The same two properties the raw PropertyCollector way (Retrieve into ObjectContent).
	var raw []types.ObjectContent
	check(property.DefaultCollector(c.Client).Retrieve(ctx, []types.ManagedObjectReference{ref},
		[]string{"guest.hostName", "guest.ipAddress"}, &raw), "PropertyCollector.Retrieve")
	rawProps := map[string]interface{}{}
	for _, oc := range raw {
		for _, p := range oc.PropSet {
			rawProps[p.Name] = p.Val
		}
	}

	events, err := event.NewManager(c.Client).QueryEvents(ctx, types.EventFilterSpec{
		Entity: &types.EventFilterSpecByEntity{Entity: ref, Recursion: types.EventFilterSpecRecursionOptionSelf},
	})
	check(err, "EventManager.QueryEvents")
	var eventTypes []string
	chains := map[int32]bool{}
	var customizationEvents []result
	for _, e := range events {
		name := typeName(e)
		eventTypes = append(eventTypes, name)
		if strings.HasPrefix(name, "Customization") {
			ev := e.GetEvent()
			chains[ev.ChainId] = true
			ce := result{"type": name, "chainId": ev.ChainId, "message": ev.FullFormattedMessage}
			if ev.Vm != nil {
				ce["vm"] = ev.Vm.Vm.Value
			}
			customizationEvents = append(customizationEvents, ce)
		}
	}
	var chainIDs []int32
	for k := range chains {
		chainIDs = append(chainIDs, k)
	}
	entity := ""
	if info.Entity != nil {
		entity = info.Entity.Value
	}
	return result{
		"clone":               ref.Value,
		"cloneName":           cloneName,
		"beforeHostName":      before.Guest.HostName,
		"task":                info.Task.Value,
		"state":               string(info.State),
		"descriptionId":       info.DescriptionId,
		"entity":              entity,
		"eventChainId":        info.EventChainId,
		"hostName":            after.Guest.HostName,
		"ipAddress":           after.Guest.IpAddress,
		"toolsRunningStatus":  after.Guest.ToolsRunningStatus,
		"powerState":          string(after.Runtime.PowerState),
		"raw":                 rawProps,
		"eventTypes":          eventTypes,
		"customizationEvents": customizationEvents,
		"chains":              chainIDs,
	}
}

// faults: what a govmomi caller sees for the faults vCenter raises.
func scenarioFaults(ctx context.Context, a args) result {
	c := connect(ctx, a)
	defer logout(ctx, c)
	out := result{}
	src := findVM(ctx, c.Client, "/DC0/vm/demo-ubuntu")
	vm := instantClone(ctx, c.Client, src, a.prefix+"-faults")
	ref := vm.Reference()

	// Task errors: the call succeeds, the task ends in error.
	out["InvalidGuestLogin"] = taskError(ctx, c, ref, "not-the-password", linuxSpec("gv-nope"))
	out["NicSettingMismatch"] = taskError(ctx, c, ref, guestPassword, linuxSpec("gv-nope",
		fixedIP("10.0.0.5"),
		types.CustomizationAdapterMapping{Adapter: types.CustomizationIPSettings{Ip: &types.CustomizationDhcpIpGenerator{}}}))
	out["InvalidArgument"] = taskError(ctx, c, ref, guestPassword, linuxSpec("web_01"))
	out["hostNameAfter"] = guestProps(ctx, c.Client, ref).Guest.HostName

	// SOAP faults: the call itself fails.
	notools := findVM(ctx, c.Client, "/DC0/vm/demo-notools")
	out["InvalidState"] = capture(func() error {
		_, err := customize(ctx, c, notools.Reference(), guestPassword, linuxSpec("gv-nope"))
		return err
	})
	missing := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-999999"}
	out["ManagedObjectNotFound"] = capture(func() error {
		_, err := customize(ctx, c, missing, guestPassword, linuxSpec("gv-nope"))
		return err
	})
	out["ManagedObjectNotFoundPower"] = capture(func() error {
		_, err := object.NewVirtualMachine(c.Client, missing).PowerOn(ctx)
		return err
	})
	out["InvalidProperty"] = capture(func() error {
		var m mo.VirtualMachine
		return property.DefaultCollector(c.Client).RetrieveOne(ctx, ref, []string{"guest.noSuch"}, &m)
	})
	out["NotFoundFinder"] = capture(func() error {
		_, err := find.NewFinder(c.Client, true).VirtualMachine(ctx, "/DC0/vm/no-such-vm")
		return err
	})

	// InvalidLogin: a wrong password in the URL.
	bad := *a.url
	bad.User = url.UserPassword(a.url.User.Username(), "wrong")
	out["InvalidLogin"] = capture(func() error {
		_, err := govmomi.NewClient(ctx, &bad, true)
		return err
	})
	// NotAuthenticated: a client that never logged in.
	anon := *a.url
	anon.User = nil
	ac, err := govmomi.NewClient(ctx, &anon, true)
	check(err, "govmomi.NewClient without userinfo")
	out["NotAuthenticated"] = capture(func() error {
		_, err := find.NewFinder(ac.Client, true).Datacenter(ctx, "DC0")
		return err
	})
	return out
}

// counter counts the SOAP methods that go through it (the keepalive's CurrentTime).
type counter struct {
	soap.RoundTripper
	mu    sync.Mutex
	calls map[string]int
}

func (c *counter) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	name := strings.TrimSuffix(typeName(req), "Body")
	c.mu.Lock()
	c.calls[name]++
	c.mu.Unlock()
	return c.RoundTripper.RoundTrip(ctx, req, res)
}

func (c *counter) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

// session: keepalive (session.KeepAlive sends CurrentTime while idle), Logout then
// NotAuthenticated, a stale cookie, and logging in again on the same client.
func scenarioSession(ctx context.Context, a args) result {
	out := result{}
	sc := soap.NewClient(a.url, true)
	vc, err := vim25.NewClient(ctx, sc)
	check(err, "vim25.NewClient")
	cnt := &counter{RoundTripper: vc.RoundTripper, calls: map[string]int{}}
	vc.RoundTripper = session.KeepAlive(cnt, 200*time.Millisecond)
	sm := session.NewManager(vc)
	check(sm.Login(ctx, a.url.User), "Login")
	time.Sleep(1100 * time.Millisecond)
	out["keepAliveCalls"] = cnt.count("CurrentTime")
	us, err := sm.UserSession(ctx)
	check(err, "UserSession after keepalive")
	out["userAfterIdle"] = us.UserName
	active, err := sm.SessionIsActive(ctx)
	check(err, "SessionIsActive")
	out["active"] = active

	rootName := func() (string, error) {
		var f mo.Folder
		err := property.DefaultCollector(vc).RetrieveOne(ctx, vc.ServiceContent.RootFolder, []string{"name"}, &f)
		return f.Name, err
	}
	name, err := rootName()
	check(err, "root folder name")
	out["rootName"] = name

	// The session cookie govmomi keeps in its jar.
	var good *http.Cookie
	for _, ck := range sc.Jar.Cookies(a.url) {
		if ck.Name == "vmware_soap_session" {
			good = ck
		}
	}
	if good != nil {
		out["cookieName"] = good.Name
		out["cookieValueLen"] = len(good.Value)
	}
	// A stale cookie is NotAuthenticated; UserSession answers nil without an error.
	sc.Jar.SetCookies(a.url, []*http.Cookie{{Name: "vmware_soap_session", Value: "0000stale0000", Path: "/"}})
	out["stale"] = capture(func() error { _, err := rootName(); return err })
	// govmomi's UserSession (what session caches and keepalive handlers ask) is nil,
	// without an error, when the session is not valid.
	us, err = sm.UserSession(ctx)
	out["staleUserSession"] = result{"nil": us == nil, "error": faultInfo(err)}
	// Log in again on the same client (what a re-login handler does).
	check(sm.Login(ctx, a.url.User), "Login again after a stale cookie")
	name, err = rootName()
	check(err, "root folder name after re-login")
	out["afterRelogin"] = name

	check(sm.Logout(ctx), "Logout")
	out["afterLogout"] = capture(func() error { _, err := rootName(); return err })
	time.Sleep(500 * time.Millisecond) // the keepalive stopped at Logout
	before := cnt.count("CurrentTime")
	time.Sleep(500 * time.Millisecond)
	out["keepAliveAfterLogout"] = cnt.count("CurrentTime") - before
	check(sm.Login(ctx, a.url.User), "Login after Logout")
	us, err = sm.UserSession(ctx)
	check(err, "UserSession after re-login")
	out["userAfterRelogin"] = us.UserName
	check(sm.Logout(ctx), "final Logout")
	out["calls"] = cnt.calls
	return out
}

var scenarios = map[string]func(context.Context, args) result{
	"connect":   scenarioConnect,
	"customize": scenarioCustomize,
	"faults":    scenarioFaults,
	"session":   scenarioSession,
}

func run(name string, a args) (line result) {
	line = result{"scenario": name}
	fn, ok := scenarios[name]
	if !ok {
		line["error"] = "unknown scenario " + name
		return line
	}
	start := time.Now()
	defer func() {
		line["seconds"] = time.Since(start).Seconds()
		if r := recover(); r != nil {
			line["error"] = fmt.Sprint(r)
			line["stack"] = string(debug.Stack())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
	defer cancel()
	line["result"] = fn(ctx, a)
	return line
}

func main() {
	rawURL := flag.String("url", "", "https://host:port/sdk")
	user := flag.String("user", "", "vCenter user")
	password := flag.String("password", "", "vCenter password (or $GOSC_PASSWORD)")
	prefix := flag.String("prefix", "govmomi", "prefix of the names of VMs this run creates")
	timeout := flag.Duration("timeout", 120*time.Second, "per-scenario timeout")
	flag.Parse()
	if *password == "" {
		*password = os.Getenv("GOSC_PASSWORD")
	}
	if dir := os.Getenv("GOSC_DRIVER_TRACE"); dir != "" { // govmomi's own wire trace, for debugging
		vimdebug.SetProvider(&vimdebug.FileProvider{Path: dir})
	}
	u, err := soap.ParseURL(*rawURL)
	if err != nil || u == nil {
		fmt.Fprintf(os.Stderr, "bad -url %q: %v\n", *rawURL, err)
		os.Exit(2)
	}
	u.User = url.UserPassword(*user, *password)
	a := args{url: u, prefix: *prefix, timeout: *timeout}
	enc := json.NewEncoder(os.Stdout)
	for _, name := range flag.Args() {
		if err := enc.Encode(run(name, a)); err != nil {
			fmt.Fprintf(os.Stderr, "encode %s: %v\n", name, err)
			os.Exit(1)
		}
	}
}
