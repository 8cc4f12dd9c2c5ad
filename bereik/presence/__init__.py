"""Presence and the directory: who can take a call now, and if not, until when and who stands in.

Pure cores (merge, phone reducer, directory index) with thin shells around them
(LDAP, AMI, Microsoft Graph, SQLite, HTTP). Reads at call time come from memory only.
Wiring, in short (see README.md; `configured.py` does this from the YAML for `bereik run`):

    directory = LdapDirectory(LdapSettings(...), clock)
    phone = PhoneWatcher(ami_client, clock)
    outlook = OutlookSource(GraphClient(GraphSettings(...), session, clock),
                            lambda: [p.email for p in directory.index.people.values()])
    absences = AbsenceStore(path, clock); await absences.open()
    service = PresenceService(directory, phone, absences, clock, outlook, PresenceSettings(...))
    app.add_subapp("/api", presence_app(service, middlewares=[login]))
    service.start()
"""
