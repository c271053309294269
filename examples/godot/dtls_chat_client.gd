## Chat client for the packetpeer DTLS chat server (examples/chat/dtls/server).
##
## Godot 4. Attach this script to any Node, set host/port/nick and the
## certificate options in the inspector (or before the node enters the tree),
## optionally point `line_edit` at a LineEdit: pressing Enter in it sends the
## text. Call say("...") from your own code to send too. Messages are
## printed; connect to the `message_received` signal to show them in your UI.
##
## Trusting the server, three ways (Godot's TLSOptions):
##  * ca_pem_path set: TLSOptions.client(that certificate). For a development
##    server started with
##        go run ./examples/chat/dtls/server -self-signed -cert-out server.crt
##    copy server.crt into your project (e.g. res://server.crt) and keep
##    host = "localhost" (the self-signed certificate is valid for localhost,
##    127.0.0.1 and ::1, plus any -host given to the server).
##  * insecure = true: TLSOptions.client_unsafe(): NO verification, anyone
##    can impersonate the server. Development only.
##  * neither: TLSOptions.client(): the system/Godot CA bundle, for a server
##    with a real certificate for `host`.
##
## Wire format: DTLS 1.2 (with the cookie exchange mbedTLS and the Go server
## both do); every DTLS record is one Variant (put_var/get_var), a Dictionary
## such as {"type": "join", "nick": "alice"} or {"type": "say", "text": "hi"}.
## The server answers with {"type": "welcome" | "join" | "say" | "leave" |
## "error", ...}. DTLS over UDP may lose a message, like UDP.
extends Node

signal message_received(msg: Dictionary)

@export var host: String = "localhost"
@export var port: int = 4433
@export var nick: String = "godot"
## Path of the server's certificate PEM (res:// or user://), or empty.
@export var ca_pem_path: String = ""
## Skip certificate verification (TLSOptions.client_unsafe). Development only.
@export var insecure: bool = false
@export var line_edit: LineEdit

var _udp := PacketPeerUDP.new()
var _dtls := PacketPeerDTLS.new()
var _joined := false


func _ready() -> void:
	var ip := host
	if not ip.is_valid_ip_address():
		ip = IP.resolve_hostname(host)
	# PacketPeerDTLS needs a UDP peer already connected to the server.
	var err := _udp.connect_to_host(ip, port)
	if err != OK:
		push_error("DTLS chat: connect_to_host(%s, %d) failed: %s" % [host, port, error_string(err)])
		return
	var options := _tls_options()
	if options == null:
		return
	# Sends the ClientHello; the handshake goes on in poll().
	err = _dtls.connect_to_peer(_udp, host, options)
	if err != OK:
		push_error("DTLS chat: connect_to_peer failed: %s" % error_string(err))
		return
	if line_edit:
		line_edit.text_submitted.connect(_on_text_submitted)


func _tls_options() -> TLSOptions:
	if insecure:
		push_warning("DTLS chat: certificate verification is OFF (client_unsafe)")
		return TLSOptions.client_unsafe()
	if ca_pem_path.is_empty():
		return TLSOptions.client()
	var cert := X509Certificate.new()
	var err := cert.load(ca_pem_path)
	if err != OK:
		push_error("DTLS chat: cannot load certificate %s: %s" % [ca_pem_path, error_string(err)])
		return null
	return TLSOptions.client(cert)


## Sends one chat line.
func say(text: String) -> void:
	if text.strip_edges().is_empty() or _dtls.get_status() != PacketPeerDTLS.STATUS_CONNECTED:
		return
	_dtls.put_var({"type": "say", "text": text})


func _on_text_submitted(text: String) -> void:
	say(text)
	line_edit.clear()


func _process(_delta: float) -> void:
	_dtls.poll()  # drives the handshake and reads incoming records
	match _dtls.get_status():
		PacketPeerDTLS.STATUS_HANDSHAKING:
			pass
		PacketPeerDTLS.STATUS_CONNECTED:
			if not _joined:
				_joined = true
				_dtls.put_var({"type": "join", "nick": nick})
			while _dtls.get_available_packet_count() > 0:
				var msg = _dtls.get_var()
				if typeof(msg) != TYPE_DICTIONARY:  # get_var returns null on bad data
					continue
				_show(msg)
				message_received.emit(msg)
		PacketPeerDTLS.STATUS_ERROR_HOSTNAME_MISMATCH:
			push_error("DTLS chat: the certificate is not valid for '%s'" % host)
			set_process(false)
		PacketPeerDTLS.STATUS_ERROR:
			push_error("DTLS chat: handshake or connection error (untrusted certificate?)")
			set_process(false)
		PacketPeerDTLS.STATUS_DISCONNECTED:
			if _joined:
				print("* disconnected by the server")
			set_process(false)


func _show(msg: Dictionary) -> void:
	match msg.get("type", ""):
		"welcome":
			var members := PackedStringArray(msg.get("members", []))
			print("* welcome %s (members: %s)" % [msg.get("nick", ""), ", ".join(members)])
		"join":
			print("* %s joined" % msg.get("nick", ""))
		"leave":
			print("* %s left" % msg.get("nick", ""))
		"say":
			print("<%s> %s" % [msg.get("nick", ""), msg.get("text", "")])
		"error":
			print("! %s" % msg.get("text", ""))
		_:
			print("? %s" % msg)


func _exit_tree() -> void:
	if _dtls.get_status() == PacketPeerDTLS.STATUS_CONNECTED:
		_dtls.put_var({"type": "leave"})
	_dtls.disconnect_from_peer()  # sends close_notify
	_udp.close()
