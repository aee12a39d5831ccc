package demoapp

import (
	"fmt"
	"html/template"
	"net/http"
	"time"
)

type product struct {
	ID         int
	Name       string
	PriceCents int
}

// Price is the price in euros, as shown and as sent in JSON.
func (p product) Price() float64 { return float64(p.PriceCents) / 100 }

var catalogue = []product{
	{ID: 1, Name: "Synthetic Sunglasses", PriceCents: 1999},
	{ID: 2, Name: "eBPF Espresso Beans", PriceCents: 1250},
	{ID: 3, Name: "Trace Waterfall Poster", PriceCents: 899},
	{ID: 4, Name: "On-Call Pager (refurbished)", PriceCents: 4500},
}

type itemJSON struct {
	ID    int     `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

func (a *app) items(w http.ResponseWriter, _ *http.Request) {
	items := make([]itemJSON, 0, len(catalogue))
	for _, p := range catalogue {
		items = append(items, itemJSON{ID: p.ID, Name: p.Name, Price: p.Price()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

type orderLine struct {
	ID       int     `json:"id"`
	Name     string  `json:"name"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
}

type order struct {
	OrderID   string      `json:"order_id"`
	Status    string      `json:"status"`
	Currency  string      `json:"currency"`
	Items     []orderLine `json:"items"`
	Subtotal  float64     `json:"subtotal"`
	Shipping  float64     `json:"shipping"`
	Tax       float64     `json:"tax"`
	Total     float64     `json:"total"`
	Customer  customer    `json:"customer"`
	CreatedAt time.Time   `json:"created_at"`
}

type customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// checkout returns a made-up order; amounts are computed in cents so that the
// JSON holds exact two-decimal numbers.
func (a *app) checkout(w http.ResponseWriter, _ *http.Request) {
	const shippingCents = 490
	lines := []orderLine{}
	subtotal := 0
	for i, p := range catalogue[:2] {
		qty := i + 1
		subtotal += qty * p.PriceCents
		lines = append(lines, orderLine{ID: p.ID, Name: p.Name, Quantity: qty, Price: p.Price()})
	}
	tax := subtotal * 20 / 100
	writeJSON(w, http.StatusOK, order{
		OrderID:   fmt.Sprintf("ord-%06d", a.orders.Add(1)),
		Status:    "confirmed",
		Currency:  "EUR",
		Items:     lines,
		Subtotal:  cents(subtotal),
		Shipping:  cents(shippingCents),
		Tax:       cents(tax),
		Total:     cents(subtotal + shippingCents + tax),
		Customer:  customer{Name: "Demo User", Email: "demo@shop.invalid"},
		CreatedAt: a.now().UTC().Truncate(time.Second),
	})
}

func cents(c int) float64 { return float64(c) / 100 }

func (a *app) home(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := homePage.Execute(w, catalogue); err != nil {
		a.log.Error("rendering home page", "error", err)
	}
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil Demo Shop</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 48rem; color: #222; }
 h1 { color: #2b4c7e; }
 .products { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: 1rem; }
 .product { border: 1px solid #ddd; border-radius: .5rem; padding: 1rem; }
 .price { font-weight: bold; }
 form { margin-top: 2rem; display: flex; gap: .5rem; flex-wrap: wrap; }
 #login-status { margin-top: .5rem; min-height: 1.2em; }
</style>
</head>
<body>
<h1>Vigil Demo Shop</h1>
<p>A tiny shop for vigil's example monitors. Some endpoints are slow or fail on purpose.</p>
<input id="search" type="search" placeholder="search products" aria-label="search products">
<section class="products" id="products">
{{range .}} <div class="product" data-id="{{.ID}}"><div class="name">{{.Name}}</div><div class="price">€{{printf "%.2f" .Price}}</div><button class="add" type="button">Add to cart</button></div>
{{end}}</section>
<p>Cart: <span id="cart-count">0</span> item(s) <button id="checkout" type="button" disabled>Check out</button></p>
<div id="order"></div>
<form id="login" method="post" action="/api/login">
 <input name="user" id="user" placeholder="user" autocomplete="username">
 <input name="password" id="password" type="password" placeholder="password" autocomplete="current-password">
 <button type="submit" id="login-button">Log in</button>
</form>
<div id="login-status"></div>
<script>
document.getElementById("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const res = await fetch("/api/login", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({user: f.user.value, password: f.password.value})});
  document.getElementById("login-status").textContent = res.ok ? "Logged in" : "Login failed";
  loggedIn = res.ok;
  updateCheckout();
});
// Search, cart and checkout happen in the page, as a shop's front end would.
let loggedIn = false, cart = 0;
const updateCheckout = () => { document.getElementById("checkout").disabled = !(loggedIn && cart > 0); };
document.getElementById("search").addEventListener("input", (e) => {
  const q = e.target.value.toLowerCase();
  for (const p of document.querySelectorAll(".product")) {
    p.style.display = p.querySelector(".name").textContent.toLowerCase().includes(q) ? "" : "none";
  }
});
for (const b of document.querySelectorAll(".add")) {
  b.addEventListener("click", () => { cart++; document.getElementById("cart-count").textContent = cart; updateCheckout(); });
}
document.getElementById("checkout").addEventListener("click", async () => {
  const res = await fetch("/api/checkout");
  const o = res.ok ? await res.json() : null;
  document.getElementById("order").textContent = o ? "Order " + o.order_id + " " + o.status : "Checkout failed (" + res.status + ")";
});
</script>
</body>
</html>
`))
