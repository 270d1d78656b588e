import { LightningElement, api, wire } from 'lwc';
import { getRelatedListRecords } from 'lightning/uiRelatedListApi';

// Regal_Event__c's lookups to Lead, Contact and Account share this
// child relationship name, so one related list serves all three pages.
const RELATED_LIST_ID = 'Regal_Events__r';
const PAGE_SIZE = 50;

const FIELDS = [
    'Regal_Event__c.Id',
    'Regal_Event__c.Name',
    'Regal_Event__c.Event_Name__c',
    'Regal_Event__c.Occurred_At__c',
    'Regal_Event__c.Talk_Time__c',
    'Regal_Event__c.Notes__c'
];

const COLUMNS = [
    { label: 'Event', fieldName: 'eventName', type: 'text' },
    {
        label: 'When',
        fieldName: 'occurredAt',
        type: 'date',
        typeAttributes: {
            year: 'numeric',
            month: 'short',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit'
        }
    },
    { label: 'Talk time (s)', fieldName: 'talkTime', type: 'number' },
    { label: 'Notes', fieldName: 'notes', type: 'text', wrapText: true },
    { label: 'Record', fieldName: 'name', type: 'text' }
];

/**
 * Show the record's Regal events, read through the UI API (no Apex).
 */
export default class RegalEvents extends LightningElement {
    @api recordId;

    columns = COLUMNS;
    rows = [];
    error;

    @wire(getRelatedListRecords, {
        parentRecordId: '$recordId',
        relatedListId: RELATED_LIST_ID,
        fields: FIELDS,
        sortBy: ['-Regal_Event__c.Occurred_At__c'],
        pageSize: PAGE_SIZE
    })
    receive({ data, error }) {
        if (data) {
            this.rows = data.records.map(toRow);
            this.error = undefined;
        } else if (error) {
            this.rows = [];
            this.error = messageOf(error);
        }
    }

    get title() {
        return `Regal Events (${this.rows.length})`;
    }

    get hasRows() {
        return this.rows.length > 0;
    }

    get isEmpty() {
        return !this.error && this.rows.length === 0;
    }
}

function toRow(record) {
    const value = (name) => record.fields[name]?.value ?? null;
    return {
        id: record.id,
        name: value('Name'),
        eventName: value('Event_Name__c'),
        occurredAt: value('Occurred_At__c'),
        talkTime: value('Talk_Time__c'),
        notes: value('Notes__c')
    };
}

function messageOf(error) {
    const body = error?.body;
    if (Array.isArray(body)) {
        return body.map((entry) => entry.message).join(', ');
    }
    return body?.message || 'Regal events could not be loaded.';
}
