"""OAI-PMH 2.0 data provider: partners harvest the published catalogue from /oai/.

- `protocol.py`: reads a request (verbs, arguments, resumption tokens) and answers it, or names
  the protocol error;
- `records.py`: the selector of records (published entries and deleted ones) and sets;
- `render.py`: the XML of responses (lxml), `oai_dc` metadata included;
- `views.py`, `urls.py`: the public endpoint, GET and POST.

The protocol: http://www.openarchives.org/OAI/openarchivesprotocol.html
"""
