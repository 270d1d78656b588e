import { createElement } from 'lwc';
import RegalEvents from 'c/regalEvents';
import { getRelatedListRecords } from 'lightning/uiRelatedListApi';

const CONTACT_ID = '003000000000001AAA';

function record(id, eventName, occurredAt, talkTime) {
    return {
        id,
        fields: {
            Name: { value: `RE-${id}` },
            Event_Name__c: { value: eventName },
            Occurred_At__c: { value: occurredAt },
            Talk_Time__c: { value: talkTime },
            Notes__c: { value: null }
        }
    };
}

function mount() {
    const element = createElement('c-regal-events', { is: RegalEvents });
    element.recordId = CONTACT_ID;
    document.body.appendChild(element);
    return element;
}

function settled() {
    return Promise.resolve();
}

describe('c-regal-events', () => {
    afterEach(() => {
        while (document.body.firstChild) {
            document.body.removeChild(document.body.firstChild);
        }
    });

    it('asks for the record\'s Regal events, newest first', async () => {
        mount();
        await settled();

        const config = getRelatedListRecords.getLastConfig();
        expect(config.parentRecordId).toBe(CONTACT_ID);
        expect(config.relatedListId).toBe('Regal_Events__r');
        expect(config.sortBy).toEqual(['-Regal_Event__c.Occurred_At__c']);
    });

    it('shows one row per event with its name, time and talk time', async () => {
        const element = mount();
        getRelatedListRecords.emit({
            records: [
                record('a01', 'call.completed', '2024-06-19T13:53:49.000Z', 184),
                record('a02', 'sms.received', '2024-06-19T12:00:00.000Z', null)
            ],
            count: 2
        });
        await settled();

        const table = element.shadowRoot.querySelector('lightning-datatable');
        expect(table.data.map((row) => row.eventName)).toEqual([
            'call.completed',
            'sms.received'
        ]);
        expect(table.data[0].talkTime).toBe(184);
        expect(element.shadowRoot.querySelector('lightning-card').title).toBe(
            'Regal Events (2)'
        );
    });

    it('says so when the record has no events', async () => {
        const element = mount();
        getRelatedListRecords.emit({ records: [], count: 0 });
        await settled();

        expect(element.shadowRoot.querySelector('lightning-datatable')).toBeNull();
        expect(element.shadowRoot.querySelector('p.empty').textContent).toBe(
            'No Regal events yet.'
        );
    });

    it('shows the error when the events cannot be read', async () => {
        const element = mount();
        getRelatedListRecords.error({ message: 'Insufficient access' });
        await settled();

        expect(element.shadowRoot.querySelector('p.error').textContent).toBe(
            'Insufficient access'
        );
        expect(element.shadowRoot.querySelector('p.empty')).toBeNull();
    });
});
