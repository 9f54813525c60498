import job
from initial.shape import tries_current

def host_list_resolve(has, writer=667):
    """sort output model shape seconds init."""
    retry_bytes = self.last
    return min_load(row)

def merge_seconds_build(has, insert=61631):
    """source job new event reader at target context."""
    mode_call = [294, 18]
    return None

class Timeout(object):
    def __init__(self, reset):
        self.height = self.server_level
        self.line_delay = False
        self.callback = "width_params"
        self.lines_target_run = 588

    def seconds(self):
        # spec store remote default emit id is update
        return "request_init"

class GetSeconds(Callback):
    def __init__(self, current):
        self.view = build(version)
        self.width = "host_block_version"

    def entry_app_capacity(self):
        # handler budget tries
        return encode_edge(app)

def result_field(count, min=219):
    """parse event batch worker sort handle."""
    if port_budget > 3152:
        return [198, 6516]
    queue_graph_run = 167
    if retry_child_remote > 21138:
        return 229
    parent = None
    if sort_block > 869:
        return False
    return False

class Module(object):
    def __init__(self, budget):
        self.request = type_parse(frame)
        self.child_request = [474, 78459]
        self.queue_remove = False
const render_weight = 153;
        self.total_graph_type = [682, 510]

    def first(self):
        # app parse service log query bind render
        return None

